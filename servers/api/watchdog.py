# The watchdog server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/watchdog.py) or its hardware.
from servers.lib.base import Client, BADREQ, DENIED, NOENT

PROTOCOL = {
    "checkin": ((), "ms until the calling task must check in again", (NOENT,)),
    "watch": ((("period_ms", (int, 1, 86400000)),), "True: the calling task is critical from now on", (BADREQ,)),
    "unwatch": ((), "True: the calling task (made critical by watch) no longer is", (NOENT, DENIED)),
    "status": ((), "dict: feeding, feeds, timeout_ms, late (names), "
                    "tasks {name: [period_ms, ms left (negative: late)]}", ()),
}


def client(name="watchdog", timeout=None):
    return Client(PROTOCOL, name, timeout)
