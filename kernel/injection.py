# Fault injection (Hubris's jefe, MINIX 3's `service`): a privileged task makes another
# fail on purpose, to show that the system recovers. The kind says how:
#   "exception"  InjectedFault is raised in the task where it stands (at its yield)
#   "memory"     MemoryError is raised there
#   "hang"       the task stops where it stands: never scheduled again, its mailbox
#                filling, until it is killed (what the supervisor's pings must catch)
from kernel.errors import Dead
from kernel.tcb import READY, SLEEP, STATE, THROW, TIMER_POS, VALUE
from kernel.trace import EV_FAULT

KINDS = ("exception", "memory", "hang")


class InjectedFault(Exception):
    pass


class Inject:
    def _sys_inject(self, t, sc):
        target, kind = self._task(sc.a), sc.b
        if target is None:
            self._fail(t, Dead(sc.a))
            return None
        if not self._privileged(t):
            return self._denied(t, "inject: not privileged")
        if kind not in KINDS or target is t:
            self._fail(t, ValueError("inject: kind is one of %s, into another task" % (KINDS,)))
            return None
        if target[STATE] == READY or target[STATE] == THROW:
            self._unready(target)
        else:                                  # blocked: out of its timer and its wait
            if target[TIMER_POS] >= 0:
                self._timer_del(target)
            self._withdraw(target)
        self._tr.log(EV_FAULT, sc.a, KINDS.index(kind))
        if kind == "hang":
            target[STATE] = SLEEP              # asleep with no timer: only kill ends it
            target[VALUE] = None
            return True
        target[VALUE] = MemoryError("injected") if kind == "memory" else InjectedFault("injected")
        target[STATE] = THROW
        self._ready_keep(target)
        return True
