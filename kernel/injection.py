# Fault injection (Hubris's jefe, MINIX 3's `service`): a privileged task makes another
# fail on purpose, to show that the system recovers. The kind says how:
#   "exception"  InjectedFault is raised in the task where it stands (at its yield)
#   "memory"     MemoryError is raised there
#   "hang"       the task stops where it stands: never scheduled again, its mailbox
#                filling, until it is killed (what the supervisor's pings must catch)
from kernel.errors import Dead
from kernel.tcb import DEAD, READY, RUN, SLEEP, STATE, THROW, TIMER_POS, VALUE
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
        self._tr.log(EV_FAULT, sc.a, KINDS.index(kind))
        exc = None if kind == "hang" else \
            MemoryError("injected") if kind == "memory" else InjectedFault("injected")
        self._interrupt(target, exc)
        return True

    def _interrupt(self, t, exc):
        # Take t out of whatever it waits on (its timer, a queued call, lookup or room
        # waiters) and make it raise exc where it stands; exc None: it stays asleep with
        # no timer, for good (only kill ends it). Also how a system call fails when the
        # kernel runs out of memory serving it (sched.py): the task lives on.
        st = t[STATE]
        if st == DEAD:
            return
        if st == READY or st == THROW:
            self._unready(t)
        elif st != RUN:
            if t[TIMER_POS] >= 0:
                self._timer_del(t)
            self._withdraw(t)
        if exc is None:
            t[STATE] = SLEEP
            t[VALUE] = None
            return
        t[VALUE] = exc
        t[STATE] = THROW
        self._ready_keep(t)
