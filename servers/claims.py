# Exclusive ownership of hardware, shared by every server in the system: a pin or bus
# claimed by one task (a server, or a client through a server) cannot be claimed by
# another. Claims of tasks that have ended are stale and are taken over silently, so a
# restarted server or a crashed client never leaves hardware locked.
#
# Keys are strings: "pin:GP2", "i2c:0", "uart:1" ...
import kernel
from servers.base import ServerError, BUSY

_owners = {}      # key -> (owner tid, server tid)


def _alive(tid):
    k = kernel.running_kernel()
    if k is None:
        return True
    try:
        k.task_info(tid)
        return True
    except kernel.Dead:
        return False


def owner(key):
    # tid holding key, or None (stale claims count as free).
    o = _owners.get(key)
    if o is None:
        return None
    if not (_alive(o[0]) and _alive(o[1])):
        del _owners[key]
        return None
    return o[0]


def claim(key, who, server):
    # Give key to task `who`, on behalf of server `server` (which may be `who` itself).
    # Raises ServerError(busy) when another live task holds it; claiming again is fine.
    cur = owner(key)
    if cur is not None and cur != who:
        raise ServerError(BUSY, "%s is held by task %d" % (key, cur))
    _owners[key] = (who, server)


def release(key, who):
    # True if who held key.
    o = _owners.get(key)
    if o is not None and o[0] == who:
        del _owners[key]
        return True
    return False


def release_all(who):
    # Drop every claim held by task who, or made by server who.
    for key in [k for k, o in _owners.items() if who in o]:
        del _owners[key]


def held(who=None):
    # Sorted keys held by who (or every live claim).
    return sorted(k for k in list(_owners) if owner(k) is not None and (who is None or _owners[k][0] == who))


def clear():
    _owners.clear()


def board_of(board):
    # A server's `board` argument: None (the current board), a name, or a board module.
    import boards

    if board is None:
        return boards.current()
    if type(board) is str:
        return boards.load(board)
    return board


class Watch:
    # Clients a server holds state for: monitored once each, so the server hears
    # ("down", tid, reason) when one ends and can free what it held.
    def __init__(self):
        self.tids = set()

    def add(self, tid):
        # Generator: `yield from self.watch.add(sender)` in a handler.
        if tid not in self.tids:
            self.tids.add(tid)
            yield kernel.monitor(tid)

    def down(self, msg):
        # The tid that ended if msg is a down message about a watched client, else None.
        if type(msg) is tuple and len(msg) == 3 and msg[0] == "down" and msg[1] in self.tids:
            self.tids.discard(msg[1])
            return msg[1]
        return None
