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

NAMES = ("pass", "sleep", "self", "exit", "send", "recv", "call", "reply", "notify",
         "register", "lookup", "monitor", "kill", "spawn")


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


def send(dst, msg):
    # Queue msg in dst's mailbox and return at once; raises Full, Dead or Denied.
    _send.a = dst
    _send.b = msg
    return _send


def recv(timeout=None):
    # Wait for a message: returns (sender, msg). Pending notifications come first as
    # (KERNEL, bits). timeout in ms (0 polls); raises Timeout.
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
    # Answer a call received from sender. Returns True if the caller was still
    # waiting, False if it had given up or died (the server carries on either way).
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
    # End another task (reason "killed"); its blocked callers get Dead.
    _kill.a = tid
    return _kill


def spawn(fn, *args, name=None, prio=0, mailbox=8, caps=None, quota=None):
    # Start a task from inside a task; returns its tid. Not preallocated: spawning
    # allocates a task anyway.
    sc = Syscall(OP_SPAWN)
    sc.a = fn
    sc.b = args
    sc.c = (name, prio, mailbox, caps, quota)
    return sc
