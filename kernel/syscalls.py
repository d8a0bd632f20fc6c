# System calls. A task makes one by yielding (generator tasks) or awaiting (async def
# tasks) the object these functions return; the kernel performs it and resumes the task
# with the result, or throws an IPCError into it.
#
# Each kind of call has one preallocated object that the function fills in and returns,
# so the common calls allocate nothing. That is safe because a task yields the object at
# once and the kernel reads it before any other task runs: always write
# `yield call(...)`, never keep a syscall object for later.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


OP_PASS = const(0)
OP_SLEEP = const(1)
OP_SELF = const(2)
OP_EXIT = const(3)
OP_SEND = const(4)
OP_RECV = const(5)
OP_CALL = const(6)
OP_REPLY = const(7)
OP_NOTIFY = const(8)
OP_REGISTER = const(9)
OP_LOOKUP = const(10)
OP_MONITOR = const(11)
OP_KILL = const(12)
OP_SPAWN = const(13)
OP_INFO = const(14)
OP_STOP = const(15)
OP_HANDLE = const(16)
OP_CLAIM = const(17)
OP_RELEASE = const(18)

# The kernel serves op n with its method "_sys_" + NAMES[n] (kernel/sched.py).
NAMES = ("pass", "sleep", "self", "exit", "send", "recv", "call", "reply", "notify",
         "register", "lookup", "monitor", "kill", "spawn", "info", "stop", "handle",
         "claim", "release")


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


_pass = Syscall(OP_PASS)
_sleep = Syscall(OP_SLEEP)
_self = Syscall(OP_SELF)
_exit = Syscall(OP_EXIT)
_send = Syscall(OP_SEND)
_recv = Syscall(OP_RECV)
_call = Syscall(OP_CALL)
_reply = Syscall(OP_REPLY)
_notify = Syscall(OP_NOTIFY)
_register = Syscall(OP_REGISTER)
_lookup = Syscall(OP_LOOKUP)
_monitor = Syscall(OP_MONITOR)
_kill = Syscall(OP_KILL)
_info = Syscall(OP_INFO)
_stop = Syscall(OP_STOP)
_claim = Syscall(OP_CLAIM)
_release = Syscall(OP_RELEASE)


def pass_():
    # Give up the CPU; the task stays ready and runs again after the others.
    return _pass


def sleep(ms):
    # Block for at least ms milliseconds.
    _sleep.a = ms
    return _sleep


def self_():
    # The calling task's own tid.
    return _self


def exit():
    # End the calling task normally (monitors see reason "normal").
    return _exit


def send(dst, msg, timeout=0):
    # Queue msg in dst's mailbox. A full mailbox raises Full at once (timeout=0), or is
    # waited on for room up to timeout ms (None: as long as it takes), then Full. Also
    # raises Dead or Denied.
    _send.a = dst
    _send.b = msg
    _send.c = timeout
    return _send


def recv(timeout=None):
    # Wait for a message: returns (sender, msg). Pending notifications come first as
    # (KERNEL, bits). A call's sender is its call id, which reply() takes; the caller's
    # tid is client(sender) (kernel/tcb.py). timeout in ms (0 polls); raises Timeout.
    _recv.a = timeout
    return _recv


def call(dst, msg, timeout=None):
    # Send msg and wait for dst's reply; returns the reply. Raises Dead if dst ends
    # before replying, Timeout, Full or Denied.
    _call.a = dst
    _call.b = msg
    _call.c = timeout
    return _call


def reply(sender, msg):
    # Answer the call received as sender (its call id). Returns True if that call was
    # still waiting, False if it had timed out or its caller died: a late reply never
    # reaches a later call (the server carries on either way).
    _reply.a = sender
    _reply.b = msg
    return _reply


def notify(dst, bits):
    # OR bits into dst's pending notifications; they reach dst's recv coalesced.
    _notify.a = dst
    _notify.b = bits
    return _notify


def register(name):
    # Publish the calling task under name; lookup(name) then finds it.
    _register.a = name
    return _register


def lookup(name, timeout=None):
    # The tid registered under name, waiting until it exists (or Timeout).
    _lookup.a = name
    _lookup.b = timeout
    return _lookup


def monitor(tid):
    # When tid ends, receive (KERNEL, ("down", tid, reason)). If tid is already gone
    # the message arrives at once with reason "noproc".
    _monitor.a = tid
    return _monitor


def kill(tid):
    # End a task (reason "killed"); its blocked callers get Dead. Another task than
    # oneself only with the privileged right, else Denied.
    _kill.a = tid
    return _kill


def spawn(fn, *args, name=None, prio=None, mailbox=8, caps=None, privileged=False, measure=False):
    # Start a task; returns its tid. Never more than the parent: caps a subset of its
    # own (None: the parent's), priority at most its own (None: the same), privileged
    # only from privileged; else Denied. measure: count its heap use on ports where that
    # is costly. Not preallocated: spawning allocates a task anyway.
    sc = Syscall(OP_SPAWN)
    sc.a = fn
    sc.b = args
    sc.c = (name, prio, mailbox, caps, privileged, measure)
    return sc


def info(what, arg=None):
    # What the kernel can tell (kernel/inspect.py, kernel/rights.py):
    #   "task", tid     that task's record (another's only with the privileged right)
    #   "next", cursor  the next live task after cursor (start with 0): (cursor, record)
    #                   or None: the task table a record at a time (privileged)
    #   "faults", n     the last n fault records (privileged)
    #   "trace", n      the last n trace events, with the tasks' names (privileged)
    #   "claims", tid   the hardware keys tid holds (None: every claim) (privileged)
    #   "stats"         counters of the whole system
    #   "name", tid     a task's name (None once it is long gone)
    _info.a = what
    _info.b = arg
    return _info


def stop():
    # Stop the kernel after this slice: run() returns "stopped", every task kept
    # (privileged).
    return _stop


def handle(bits, dst=None):
    # A handle for an interrupt handler: handle.notify() raises `bits` (or those of them
    # it is passed) on dst (default: the caller) without allocating; handle.running()
    # tells whether its kernel runs. Dead or Denied as for notify. Made once, at set-up.
    sc = Syscall(OP_HANDLE)
    sc.a = bits
    sc.b = dst
    return sc


def claim(key, who=None):
    # Take the hardware `key` ("pin:GP2", "i2c:0") for task `who` (default: the
    # caller), on the caller's behalf; raises Busy when another live task holds it.
    # The claim ends with either task.
    _claim.a = key
    _claim.b = who
    return _claim


def release(key=None, who=None):
    # Give key back (True if `who`, default the caller, held it); key None: every claim
    # the caller made or holds.
    _release.a = key
    _release.b = who
    return _release
