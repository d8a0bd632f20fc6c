# The timer server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/timer.py) or its hardware.
from servers.lib.base import Client, BADREQ, DENIED, NOENT, QUOTA

PROTOCOL = {
    "periodic": ((("period_ms", (int, 1, 86400000)), ("bits", int, 1)), "timer id; bits are notified every period",
                 (BADREQ, QUOTA)),
    "oneshot": ((("delay_ms", (int, 0, 86400000)), ("bits", int, 1)), "timer id; bits are notified once",
                (BADREQ, QUOTA)),
    "cancel": ((("id", int),), "True", (NOENT, DENIED)),
    "timers": ((), "list of (id, owner, period_ms, periodic) of live timers", ()),
}


def client(name="timer", timeout=None):
    return Client(PROTOCOL, name, timeout)
