# The one door: every privileged act is a system call checked here against the caller's
# rights, set at spawn (the system image says which tasks are privileged: the supervisor
# and the console). Without the right the call fails with Denied.
#
#   kill        another task (a task may always end itself)
#   spawn       a child never gets more than its parent: caps a subset of the parent's,
#               priority at most the parent's, privileged only from privileged
#   info        another task's record, the task table, faults, trace and claims
#   stop        the kernel
#   inject      a fault into another task (kernel/injection.py)
from kernel.errors import Dead, Denied
from kernel.tcb import BLOCKED, CAPS, EXTRA, NPRIO, PRIO, TID, X_PRIVILEGED
from kernel.trace import EV_KILL


# What `info` tells only the privileged: the method of kernel/inspect.py that answers it.
_PRIVILEGED_INFO = {"task": "task_info", "next": "next_task", "faults": "faults",
                    "trace": "named_trace", "claims": "claims"}


class Rights:
    def _privileged(self, t):
        x = t[EXTRA]
        return x is not None and x[X_PRIVILEGED]

    def _denied(self, t, what):
        self._fail(t, Denied(what))
        return None

    def _sys_kill(self, t, sc):
        target = self._task(sc.a)
        if target is None:
            self._fail(t, Dead(sc.a))
            return None
        if target is not t and not self._privileged(t):
            return self._denied(t, "kill %s: not privileged" % (sc.a,))
        self._close(target)
        self._end(target, "killed", EV_KILL)
        return BLOCKED if target is t else None

    def _sys_spawn(self, t, sc):
        name, prio, mailbox, caps, privileged, measure, owns = sc.c
        mine = t[CAPS]
        if prio is None:
            prio = t[PRIO]
        if type(prio) is int and 0 <= prio < NPRIO and prio > t[PRIO]:
            return self._denied(t, "spawn at priority %d above its parent's %d" % (prio, t[PRIO]))
        if (privileged or owns is not None) and not self._privileged(t):
            return self._denied(t, "spawn %s from an unprivileged task"
                                % ("privileged" if privileged else "an owner of hardware"))
        if caps is None:
            caps = mine                        # the parent's rights, no more
        elif mine is not None:
            try:
                wider = [c for c in caps if c not in mine]
            except Exception:                  # caps is not a collection: refused below
                wider = None
            if wider:
                return self._denied(t, "spawn with rights its parent lacks: %r" % (wider[0],))
        try:
            return self.spawn(sc.a, *sc.b, name=name, prio=prio, mailbox=mailbox, caps=caps,
                              privileged=privileged, measure=measure, owns=owns)
        except (TypeError, ValueError, MemoryError) as e:
            self._fail(t, e)
            return None

    def _sys_info(self, t, sc):
        what, arg = sc.a, sc.b
        if what == "stats":
            return self.stats()
        if what == "name":
            return self.name_of(arg)
        if what == "task" and arg == t[TID]:
            return self._info(t)
        f = _PRIVILEGED_INFO.get(what)
        if f is None:
            self._fail(t, ValueError("info: unknown %r" % (what,)))
        elif not self._privileged(t):
            self._fail(t, Denied("info %r: not privileged" % (what,)))
        else:
            try:
                return getattr(self, f)(arg)
            except (Dead, TypeError, ValueError) as e:
                self._fail(t, e)
        return None

    def _sys_stop(self, t, sc):
        if not self._privileged(t):
            return self._denied(t, "stop: not privileged")
        self._flags[0] = True
        return None
