# The supervisor server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/supervisor.py) or its hardware.
from servers.lib.base import Client, BADREQ, BUSY, DENIED, NOENT

HISTORY = 32

PROTOCOL = {
    "status": ((), "list of dicts: name, tid, state, restarts, policy, held, group, critical, quota", ()),
    "history": ((("n", int, HISTORY),), "the last n restart records (dicts), oldest first", ()),
    "restarts": ((), "list of (name, restarts) of every child: what ps shows, cheaply", ()),
    "restart": ((("name", str),), "the new tid", (NOENT,)),
    "hold": ((("name", str),), "True: the task is not restarted when it ends", (NOENT,)),
    "release": ((("name", str),), "True: restarted now if it is not running", (NOENT,)),
    # live update: replace the tasks whose code is one of `modules` by new incarnations
    # loaded from `tree`, rolled back if a new one faults within grace_ms
    "update": ((("modules", list), ("tree", (str, 64)), ("grace_ms", (int, 0, 60000), 3000)),
               "dict: tasks [(name, old tid, new tid)], grace_ms", (BADREQ, BUSY)),
    "updated": ((), "how the last update ended (None during its grace): dict rolled_back, tasks; "
                    "task, reason, fault if rolled back", ()),
    # the pinger's own requests (refused from anyone else)
    "pings": ((), "(list of (name, tid, timeout_ms) to ping now, ms until the next is due)", (DENIED,)),
    "hung": ((("name", str), ("tid", int), ("waited_ms", int)), "True: tid is ended as hung",
             (DENIED,)),
}


def client(name="supervisor", timeout=None):
    return Client(PROTOCOL, name, timeout)
