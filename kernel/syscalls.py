# System calls. A task makes one by yielding (generator tasks) or awaiting (async def
# tasks) the object these functions return; the kernel performs it and resumes the task
# with the result, or throws an IPCError into it.
#
# Each kind of call has one preallocated object (the function's _sc default) that the
# function fills in and returns, so the common calls allocate nothing. That is safe
# because a task yields the object at once and the kernel reads it before any other task
# runs: always write `yield call(...)`, never keep a syscall object for later.
from kernel.port import micropython

(OP_PASS, OP_SLEEP, OP_SELF, OP_EXIT, OP_SEND, OP_RECV, OP_CALL, OP_REPLY, OP_NOTIFY,
 OP_REGISTER, OP_LOOKUP, OP_MONITOR, OP_KILL, OP_SPAWN, OP_INFO, OP_STOP, OP_HANDLE,
 OP_CLAIM, OP_RELEASE, OP_INJECT) = range(20)

# The kernel serves op n with its method "_sys_" + NAMES[n] (kernel/sched.py).
NAMES = ("pass", "sleep", "self", "exit", "send", "recv", "call", "reply", "notify",
         "register", "lookup", "monitor", "kill", "spawn", "info", "stop", "handle",
         "claim", "release", "inject")


class Syscall:
    def __init__(self, op):
        self.op = op
        self.a = None
        self.b = None
        self.c = None

    def __iter__(self):
        # `await syscall` in an async def task: hand the object to the kernel and
        # return whatever the kernel sends back.
        return (yield self)

    __await__ = __iter__

    def __repr__(self):
        return "<syscall %s>" % NAMES[self.op]




def pass_(_sc=Syscall(OP_PASS)):
    # Give up the CPU; the task stays ready and runs again after the others.
    return _sc


def sleep(ms, _sc=Syscall(OP_SLEEP)):
    # Block for at least ms milliseconds.
    _sc.a = ms
    return _sc


def self_(_sc=Syscall(OP_SELF)):
    # The calling task's own tid.
    return _sc


def exit(_sc=Syscall(OP_EXIT)):
    # End the calling task normally (monitors see reason "normal").
    return _sc


def send(dst, msg, timeout=0, _sc=Syscall(OP_SEND)):
    # Queue msg in dst's mailbox. A full mailbox raises Full at once (timeout=0), or is
    # waited on for room up to timeout ms (None: as long as it takes), then Full. Also
    # raises Dead or Denied.
    _sc.a = dst
    _sc.b = msg
    _sc.c = timeout
    return _sc


@micropython.native
def recv(timeout=None, _sc=Syscall(OP_RECV)):
    # Wait for a message: returns (sender, msg). Pending notifications come first as
    # (KERNEL, bits). A call's sender is its call id, which reply() takes; the caller's
    # tid is client(sender) (kernel/tcb.py). timeout in ms (0 polls); raises Timeout.
    _sc.a = timeout
    return _sc


@micropython.native
def call(dst, msg, timeout=None, _sc=Syscall(OP_CALL)):
    # Send msg and wait for dst's reply; returns the reply. Raises Dead if dst ends
    # before replying, Timeout, Full or Denied.
    _sc.a = dst
    _sc.b = msg
    _sc.c = timeout
    return _sc


@micropython.native
def reply(sender, msg, _sc=Syscall(OP_REPLY)):
    # Answer the call received as sender (its call id). Returns True if that call was
    # still waiting, False if it had timed out or its caller died: a late reply never
    # reaches a later call (the server carries on either way).
    _sc.a = sender
    _sc.b = msg
    return _sc


def notify(dst, bits, _sc=Syscall(OP_NOTIFY)):
    # OR bits into dst's pending notifications; they reach dst's recv coalesced.
    _sc.a = dst
    _sc.b = bits
    return _sc


def register(name, _sc=Syscall(OP_REGISTER)):
    # Publish the calling task under name; lookup(name) then finds it.
    _sc.a = name
    return _sc


def lookup(name, timeout=None, _sc=Syscall(OP_LOOKUP)):
    # The tid registered under name, waiting until it exists (or Timeout).
    _sc.a = name
    _sc.b = timeout
    return _sc


def monitor(tid, _sc=Syscall(OP_MONITOR)):
    # When tid ends, receive (KERNEL, ("down", tid, reason)). If tid is already gone
    # the message arrives at once with reason "noproc".
    _sc.a = tid
    return _sc


def kill(tid, _sc=Syscall(OP_KILL)):
    # End a task (reason "killed"); its blocked callers get Dead. Another task than
    # oneself only with the privileged right, else Denied.
    _sc.a = tid
    return _sc


def spawn(fn, *args, name=None, prio=None, mailbox=8, caps=None, privileged=False, measure=False,
          owns=None):
    # Start a task; returns its tid. Never more than the parent: caps a subset of its
    # own (None: the parent's), priority at most its own (None: the same), privileged
    # only from privileged; else Denied. measure: count its heap use on ports where that
    # is costly. owns (privileged parents only): the claim keys only this task (by name)
    # may claim; it may then claim no other key but a free pin (kernel/resources.py).
    # Not preallocated: spawning allocates a task anyway.
    sc = Syscall(OP_SPAWN)
    sc.a = fn
    sc.b = args
    sc.c = (name, prio, mailbox, caps, privileged, measure, owns)
    return sc


def info(what, arg=None, _sc=Syscall(OP_INFO)):
    # What the kernel can tell (kernel/inspect.py, kernel/rights.py):
    #   "task", tid     that task's record (another's only with the privileged right)
    #   "next", cursor  the next live task after cursor (start with 0): (cursor, record)
    #                   or None: the task table a record at a time (privileged)
    #   "faults", n     the last n fault records (privileged)
    #   "trace", n      the last n trace events, with the tasks' names (privileged)
    #   "claims", tid   the hardware keys tid holds (None: every claim) (privileged)
    #   "stats"         counters of the whole system
    #   "name", tid     a task's name (None once it is long gone)
    _sc.a = what
    _sc.b = arg
    return _sc


def stop(_sc=Syscall(OP_STOP)):
    # Stop the kernel after this slice: run() returns "stopped", every task kept
    # (privileged).
    return _sc


def handle(bits, dst=None):
    # A handle for an interrupt handler: handle.notify() raises `bits` (or those of them
    # it is passed) on dst (default: the caller) without allocating; handle.running()
    # tells whether its kernel runs. Dead or Denied as for notify. Made once, at set-up.
    sc = Syscall(OP_HANDLE)
    sc.a = bits
    sc.b = dst
    return sc


def claim(key, who=None, _sc=Syscall(OP_CLAIM)):
    # Take the hardware `key` ("pin:GP2", "i2c:0") for task `who` (default: the
    # caller), on the caller's behalf; raises Busy when another live task holds it.
    # The claim ends with either task.
    _sc.a = key
    _sc.b = who
    return _sc


def release(key=None, who=None, _sc=Syscall(OP_RELEASE)):
    # Give key back (True if `who`, default the caller, held it); key None: every claim
    # the caller made or holds.
    _sc.a = key
    _sc.b = who
    return _sc


def inject(tid, kind="exception", _sc=Syscall(OP_INJECT)):
    # Make tid fail on purpose (kernel/injection.py): kind "exception", "memory" or "hang".
    # Privileged, else Denied; Dead if tid has ended.
    _sc.a = tid
    _sc.b = kind
    return _sc
