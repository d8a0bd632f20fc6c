# The supervisor server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/supervisor.py) or its hardware.
from servers.lib.base import Client, DENIED, NOENT

HISTORY = 32

PROTOCOL = {
    "status": ((), "list of dicts: name, tid, state, restarts, policy, held, group, critical, quota", ()),
    "history": ((("n", int, HISTORY),), "the last n restart records (dicts), oldest first", ()),
    "restarts": ((), "list of (name, restarts) of every child: what ps shows, cheaply", ()),
    "restart": ((("name", str),), "the new tid", (NOENT,)),
    "hold": ((("name", str),), "True: the task is not restarted when it ends", (NOENT,)),
    "release": ((("name", str),), "True: restarted now if it is not running", (NOENT,)),
    # the pinger's own requests (refused from anyone else)
    "pings": ((), "(list of (name, tid, timeout_ms) to ping now, ms until the next is due)", (DENIED,)),
    "hung": ((("name", str), ("tid", int), ("waited_ms", int)), "True: tid is ended as hung",
             (DENIED,)),
}


def client(name="supervisor", timeout=None):
    return Client(PROTOCOL, name, timeout)
