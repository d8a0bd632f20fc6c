# The system image: everything that runs, as data (like Hubris's app.toml or MINIX's
# system.conf). firmware/main.py boots it; the supervisor starts the tasks in order.
#
# IMAGE["board"]       board name, or None to detect it at boot (boards.detect())
# IMAGE["kernel"]      Kernel() options
# IMAGE["supervisor"]  restart limits (servers/supervisor.py DEFAULTS)
# IMAGE["tasks"]       task specs, in start order:
#   name      registered name and task name
#   module    where the entry lives (default servers.<name>); entry: its function (main)
#   args      tuple passed to the entry
#   prio      0..7, higher runs first;  mailbox: messages its mailbox holds
#   caps      None (may message anyone) or the names / tids it may send to
#   quota     bytes it may allocate per second, None for no limit (the supervisor ends
#             a task past it)
#   privileged  may kill, spawn privileged tasks, read other tasks, the task table, faults
#             and trace, and stop the kernel (default False; kernel/rights.py)
#   restart   permanent | transient | temporary
#   group     tasks restarted together when one of them restarts too often
#   critical  past its restart limit (or, if temporary, on any abnormal end) the board resets
#   boards    optional: only on these boards (by name)
#   needs     optional: only if the board runs this server (board.SERVERS)
#   heartbeat_ms  optional: the supervisor pings the task this often (servers answer
#             ("ping",) by themselves); one that does not answer within
#             heartbeat_timeout_ms has hung, and is restarted as if it had crashed
# Per-task "intensity", "period_ms", "backoff_ms" and "heartbeat_timeout_ms" override the
# supervisor's.
HB = 2000           # ms between pings of a server (see heartbeat_ms above)
IMAGE = {
    "board": None,
    "kernel": {"trace": 64, "slow_slice_ms": 20},
    "supervisor": {"intensity": 5, "period_ms": 10000, "backoff_ms": 50,
                   "backoff_max_ms": 5000, "group_intensity": 2, "heartbeat_timeout_ms": 2000},
    "tasks": [
        # core services first: everything else logs and stores through them
        {"name": "log", "args": (64, "info", {"dir": "/data/log", "level": "info",
                                              "max_bytes": 8192, "files": 2}),
         "prio": 5, "mailbox": 16, "group": "core", "heartbeat_ms": HB},
        {"name": "fs", "args": ("/data", 131072), "prio": 4, "mailbox": 8, "group": "core",
         "heartbeat_ms": HB},
        # drivers
        {"name": "gpio", "prio": 6, "mailbox": 8, "group": "drivers", "heartbeat_ms": HB},
        {"name": "i2c", "prio": 5, "mailbox": 8, "group": "drivers", "heartbeat_ms": HB},
        {"name": "spi", "prio": 5, "mailbox": 4, "group": "drivers", "needs": "spi",
         "heartbeat_ms": HB},
        {"name": "uart", "prio": 5, "mailbox": 4, "group": "drivers", "needs": "uart",
         "heartbeat_ms": HB},
        {"name": "adc", "prio": 4, "mailbox": 4, "group": "drivers", "needs": "adc",
         "heartbeat_ms": HB},
        {"name": "pwm", "prio": 4, "mailbox": 4, "group": "drivers", "needs": "pwm",
         "heartbeat_ms": HB},
        {"name": "timer", "prio": 6, "mailbox": 4, "group": "drivers", "needs": "timer",
         "heartbeat_ms": HB},
        {"name": "display", "args": ("i2c",), "prio": 3, "mailbox": 8, "group": "ui",
         "needs": "display", "heartbeat_ms": HB},
        # connect and http_get wait up to 30 s for the network: pings wait longer
        {"name": "net", "prio": 3, "mailbox": 4, "group": "net", "needs": "net",
         "heartbeat_ms": HB, "heartbeat_timeout_ms": 35000},
        # the watchdog resets the board if the application stops checking in (started
        # before the application, which checks in from its first period)
        {"name": "watchdog", "args": ({"sensor_logger": 5000}, 8000), "prio": 7,
         "mailbox": 8, "group": "core", "critical": True, "needs": "watchdog",
         "heartbeat_ms": 1000},          # found hung well within the WDT's 8 s
        # the example application: a sensor logger built only from the servers (the
        # watchdog checks it is alive: it checks in every period)
        {"name": "sensor_logger", "module": "firmware.apps.sensor_logger",
         "args": (1000,), "prio": 2, "mailbox": 8, "group": "app", "quota": 32768,
         "caps": ("i2c", "gpio", "log", "fs", "display", "watchdog", "supervisor")},
        # the console last: it answers mpk ps/top/trace/log, and takes Ctrl-C; above the
        # application, so a busy application cannot leave the board deaf to the host
        # (privileged: it reads the task table, faults and trace, and stops the kernel)
        {"name": "console", "prio": 3, "mailbox": 8, "group": "console", "needs": "console",
         "privileged": True, "heartbeat_ms": HB},
    ],
}


def tasks_for(board, image=None):
    # The task specs that apply to `board` (a board module).
    image = image or IMAGE
    out = []
    for t in image["tasks"]:
        if "boards" in t and board.NAME not in t["boards"]:
            continue
        if "needs" in t and t["needs"] not in board.SERVERS:
            continue
        t = dict(t)
        t.pop("boards", None)
        t.pop("needs", None)
        t.setdefault("mailbox", board.LIMITS["mailbox"])
        out.append(t)
    return out
