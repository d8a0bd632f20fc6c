# Hardware claims: a pin or a bus held by one task at a time ("pin:GP2", "i2c:0"). A
# server claims for itself or on behalf of a client; the claim ends when either of the
# two ends, so a crashed server or client never leaves hardware locked.
# Ownership, from the system image: a key owned by a task name (spawn's owns, or own()
# before the loop runs, e.g. the board's reserved pins) may be claimed only by the task
# of that name, whatever its tid; a task spawned with owns claims only what it owns and
# free pins (gpio, pwm and adc hand pins out to their clients).
from kernel.errors import Busy, Dead, Denied
from kernel.tcb import TID, NAME


class Resources:
    def __init__(self):
        self._claims = {}           # key -> (holder tid, tid of the task that claimed)
        self._owner = {}            # key -> name of the one task that may claim it
        self._bound = {}            # task name -> True: it claims only what it owns

    def own(self, keys, name):
        # Give keys to the task called name; a key owned by another name: ValueError.
        for key in keys:
            if self._owner.get(key, name) != name:
                raise ValueError("%s is owned by %s" % (key, self._owner[key]))
        for key in keys:
            self._owner[key] = name
        self._bound[name] = True

    def _holder(self, key):
        c = self._claims.get(key)
        if c is not None and self._task(c[0]) is not None and self._task(c[1]) is not None:
            return c[0]
        return None

    def _sys_claim(self, t, sc):
        key, who = sc.a, sc.b
        who = t[TID] if who is None else who
        if type(key) is not str or self._task(who) is None:
            self._fail(t, Dead(who) if type(key) is str else TypeError("claim: key must be a str"))
            return None
        owner = self._owner.get(key)
        if owner is not None and owner != t[NAME] or owner is None and t[NAME] in self._bound \
                and not key.startswith("pin:"):
            self._fail(t, Denied("%s is owned by %s" % (key, owner) if owner is not None
                                 else "%s is not among what %s owns" % (key, t[NAME])))
            return None
        cur = self._holder(key)
        if cur is not None and cur != who:
            self._fail(t, Busy("%s is held by task %d" % (key, cur)))
            return None
        self._claims[key] = (who, t[TID])
        return None

    def _sys_release(self, t, sc):
        key, who = sc.a, sc.b
        me = t[TID]
        if key is None:
            self._drop_claims(me)
            return True
        c = self._claims.get(key)
        if c is not None and c[0] == (me if who is None else who) and me in c:
            del self._claims[key]
            return True
        return False

    def _drop_claims(self, tid):
        if self._claims:
            for key in [k for k, c in self._claims.items() if tid in c]:
                del self._claims[key]

    def claims(self, who=None):
        # Keys held by who (or every live claim), sorted.
        return sorted(k for k in list(self._claims) if self._holder(k) is not None
                      and (who is None or self._claims[k][0] == who))
