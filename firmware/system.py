# The system image: everything that runs on the board, as one table (like Hubris's
# app.toml or MINIX's system.conf). firmware/main.py checks it (firmware/image.py) and
# boots it: the supervisor first, which starts the other tasks in order and restarts
# them when they end. `mpk build` runs the same check before anything reaches a board.
#
# Each entry names everything about its task (servers/supervisor.py SPEC lists every key
# with its default):
#   name        registered name; its code is servers.<name>.main unless "module" says
#   config      the task's settings, as keywords (each server's CONFIG lists its own)
#   prio        0..7, higher runs first        mailbox  messages its mailbox holds
#   owns        hardware only this task may claim: "i2c:0" (a bus, with its pins; "i2c"
#               alone is the board's first I2C bus, likewise "spi", "uart"), "uart:1",
#               "pin:GP2", "wdt", "wlan"; the kernel refuses it to every other task
#   irqs        interrupt sources routed to it: "pin" (GPIO edges), "timer"
#   talks_to    the tasks it may send to (None: any)
#   privileged  may spawn, kill and inspect other tasks, and stop the kernel
#   restart     permanent | transient | temporary;  group: restarted together past limits
#   critical    the board resets when it cannot be kept running
#   quota       bytes it may allocate per second (the supervisor ends it past that)
#   heartbeat_ms  the supervisor pings it this often; one that does not answer within
#               heartbeat_timeout_ms (the supervisor's config) has hung, and is restarted
#   needs       only on boards with this feature ("wifi")
HB = 2000           # ms between liveness pings of a server

IMAGE = {
    "board": None,                   # None: find out at boot; or "pico", "pico_w", ...
    "kernel": {"trace": 64, "slow_slice_ms": 20},
    "srv": True,                     # mount /srv at boot: ps, trace, log as files (firmware/srvfs.py)
    "tasks": [
        # the supervisor first: it starts everything below (its config: restart limits)
        {"name": "supervisor", "prio": 7, "mailbox": 16, "privileged": True,
         "config": {"backoff_ms": 50, "backoff_max_ms": 5000}},
        # core services: everything else logs and stores through them
        {"name": "log", "prio": 5, "mailbox": 16, "group": "core", "heartbeat_ms": HB,
         "config": {"capacity": 64, "level": "info",
                    "persist": {"dir": "/data/log", "level": "info", "max_bytes": 8192,
                                "files": 2}}},
        {"name": "fs", "prio": 4, "group": "core", "heartbeat_ms": HB,
         "config": {"root": "/data", "quota": 131072}},
        # drivers: each owns its hardware
        {"name": "gpio", "prio": 6, "group": "drivers", "irqs": ("pin",), "heartbeat_ms": HB},
        {"name": "i2c", "prio": 5, "group": "drivers", "owns": ("i2c",), "heartbeat_ms": HB},
        {"name": "spi", "prio": 5, "mailbox": 4, "group": "drivers", "owns": ("spi",),
         "heartbeat_ms": HB},
        {"name": "uart", "prio": 5, "mailbox": 4, "group": "drivers", "owns": ("uart",),
         "heartbeat_ms": HB},
        {"name": "adc", "prio": 4, "mailbox": 4, "group": "drivers", "heartbeat_ms": HB},
        {"name": "pwm", "prio": 4, "mailbox": 4, "group": "drivers", "heartbeat_ms": HB},
        {"name": "timer", "prio": 6, "mailbox": 4, "group": "drivers", "irqs": ("timer",),
         "heartbeat_ms": HB},
        {"name": "display", "prio": 3, "group": "ui", "talks_to": ("i2c", "log"),
         "config": {"i2c": "i2c", "bus": 0, "addr": 0x3C}, "heartbeat_ms": HB},
        # connect and http_get wait up to 30 s for the network: pings wait longer
        {"name": "net", "prio": 3, "mailbox": 4, "group": "net", "owns": ("wlan",),
         "needs": "wifi", "heartbeat_ms": HB, "heartbeat_timeout_ms": 35000},
        # resets the board if the application stops checking in (started before it; found
        # hung well within the WDT's 8 s)
        {"name": "watchdog", "prio": 7, "group": "core", "critical": True, "owns": ("wdt",),
         "config": {"critical": {"sensor_logger": 5000}, "timeout_ms": 8000},
         "heartbeat_ms": 1000},
        # the example application, built only from the servers
        {"name": "sensor_logger", "module": "firmware.apps.sensor_logger", "prio": 2,
         "group": "app", "quota": 32768, "config": {"period_ms": 1000},
         "talks_to": ("i2c", "gpio", "log", "fs", "display", "watchdog", "supervisor")},
        # the console last: it answers mpk ps/top/trace/log and takes Ctrl-C; above the
        # application, so a busy application cannot leave the board deaf to the host
        # (privileged: it reads the task table, faults and trace, and stops the kernel)
        {"name": "console", "prio": 3, "group": "console", "privileged": True,
         "heartbeat_ms": HB},
    ],
}
