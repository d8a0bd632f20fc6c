# What driver servers share: exclusive ownership of hardware through the kernel's claim
# and release system calls (kernel/resources.py: a pin or bus held by one task at a time,
# freed when the holder or the server that claimed ends, so a restarted server or a
# crashed client never leaves hardware locked), and watching clients.
#
# Keys are strings: "pin:GP2", "i2c:0", "uart:1" ...
import kernel
from servers.lib.base import ServerError, BUSY, NOENT, DENIED


def claim(key, who):
    # Give key to task `who` (a client, or the server itself) on the calling server's
    # behalf: `yield from claims.claim("pin:GP2", sender)` in a handler. Another live
    # holder gives ServerError(busy); claiming again is fine.
    try:
        yield kernel.claim(key, who)
    except kernel.Busy as e:
        raise ServerError(BUSY, str(e))
    except kernel.Denied as e:          # the system image gives it to another task
        raise ServerError(DENIED, str(e))
    except kernel.Dead:
        raise ServerError(NOENT, "task %d has ended" % who)


def release(key, who):
    # Generator: True if who held key. Claims also end by themselves with the client or
    # the server, so a server frees its claims only when a client asks.
    r = yield kernel.release(key, who)
    return r


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
