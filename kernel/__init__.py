# The microkernel: tasks, scheduler, message passing, faults and inspection.
#
#   import kernel
#   k = kernel.Kernel()
#   k.spawn(server, name="echo")
#   k.run()
#
# Tasks are generator functions (or async def coroutines) that make system calls by
# yielding (or awaiting) the objects returned by the functions below.
from kernel.errors import IPCError, Timeout, Dead, Full, Denied
from kernel.syscalls import (
    pass_, sleep, self_, exit, send, recv, call, reply, notify, register, lookup,
    monitor, kill, spawn,
)
from kernel.core import Kernel, KERNEL, NPRIO, running_kernel


def _k():
    k = running_kernel()
    if k is None:
        raise RuntimeError("no kernel has run yet")
    return k


# REPL conveniences: inspect the kernel that is (or was last) running.
def ps():
    _k().ps()


def trace(n=None):
    _k().trace(n)


def stats():
    return _k().stats()


def snapshot():
    return _k().snapshot()
