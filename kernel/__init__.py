# The microkernel: tasks, a scheduler, message passing, faults and inspection.
#
#   import kernel
#   k = kernel.Kernel()
#   k.spawn(server, name="echo")
#   k.run()
#
# Tasks are generator functions (or async def coroutines) that make system calls by
# yielding (or awaiting) the objects returned by the functions below.
#
# Principles (as Hubris states its own in its kernel's lib.rs):
#   1. Tasks talk only through the kernel: bounded mailboxes, call/reply, notification
#      bits. Nothing is shared between tasks but what they send.
#   2. One door: every privileged act (kill, spawn, reading another task, the task
#      table, faults, the trace, stopping) is a system call checked against rights set at
#      spawn. A child never gets more than its parent. No task calls the kernel object.
#   3. Faults are contained: whatever a task raises ends that task only, is recorded,
#      and tells whoever waits on it (Dead, monitors). Recording cannot fail.
#   4. Nothing is unbounded: mailboxes, the trace, the fault log and every wait have
#      limits; a full mailbox is an error or a bounded wait, never a silent drop.
#   5. A reply answers the call it was meant for and no other; a late one is refused.
#   6. Hot paths allocate nothing and cost O(1), however many tasks exist; a server
#      serving a higher-priority caller runs at that caller's priority.
#   7. The same code runs on MicroPython (rp2, esp32, unix) and on CPython.
#   8. Policy (restart, quotas, what runs) is the supervisor's, not the kernel's.
from kernel.errors import IPCError, Timeout, Dead, Full, Denied, Busy
from kernel.syscalls import (
    pass_, sleep, self_, exit, send, recv, call, reply, notify, register, lookup,
    monitor, kill, spawn, info, stop, handle, claim, release, inject,
)
from kernel.injection import InjectedFault
from kernel.tcb import KERNEL, NPRIO, TID_MASK, client
from kernel.sched import Kernel, running_kernel
