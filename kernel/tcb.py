# The task control block (TCB), task ids, call ids and task states: the layout every part
# of the kernel shares. A TCB is one flat list, not an object: on MicroPython a list
# indexed by const() offsets is both the smallest and the fastest record there is
# (instance attributes live in a hash map). The task's mailbox ring sits at the end of
# the same list, so an idle task costs one generator and one list.
#
# MicroPython folds a const() only inside its own module, and only a private one (a name
# with a leading underscore, which is then not importable). So each part of the kernel
# writes the fields it uses as private consts of its own, and
# tests/unit/test_kernel_layout.py checks that they all agree with the names here.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


# TCB fields
TID = 0            # this incarnation's tid
NAME = 1
CORO = 2           # the generator or coroutine
STATE = 3
PRIO = 4           # priority it runs at now (raised while it serves a higher caller)
VALUE = 5          # value to resume with (or exception, in state THROW)
WAITS_ON = 6       # what a blocked task waits on (a tid, a name)
NEXT_READY = 7     # ready-list link
DEADLINE = 8       # timer deadline (ticks_ms)
TIMER_POS = 9      # index in the timer heap, -1 if none
MBOX_HEAD = 10     # mailbox ring head
MBOX_COUNT = 11    # messages queued
NOTES = 12         # pending notification bits
CAPS = 13          # None (unrestricted) or tuple of allowed tids / names
EXTRA = 14         # None or the rarely used part, kept aside (X_* below)
MSGS_IN = 15       # messages and calls received
MSGS_OUT = 16      # messages, calls and replies sent
SLICES = 17
CPU_US = 18        # CPU time: microseconds below one second ...
CPU_S = 19         # ... and whole seconds (keeps both in small-int range)
MAX_SLICE = 20     # longest slice, us
HEAP_B = 21        # bytes allocated, below 1 MiB ...
HEAP_MB = 22       # ... and whole MiB
CALL_ID = 23       # id of its latest call (see call ids below)
MBOX = 24          # mailbox ring: (sender, msg) pairs; a call is stored as ~call id

# The EXTRA list
X_WATCHERS = 0     # tids monitoring this task
X_KMSGS = 1        # kernel messages waiting (monitor "down")
X_PRIVILEGED = 2
X_BASE_PRIO = 3    # its own priority while it runs at a lent one, else None
X_PENDING = 4      # the message of a send waiting for room (state WAIT_ROOM)
X_ROOM_WAITERS = 5  # TCBs waiting for room in this task's mailbox
X_MEASURE = 6      # measure its heap use where that is costly

# Task states. Only READY and THROW tasks sit in the ready lists.
READY = 0
THROW = 1          # ready; resume by throwing VALUE into the task
RUN = 2
RECV = 3
CALL_QUEUED = 4    # call made, message queued, the server has not received it yet
CALL_HELD = 5      # the server received the call, no reply yet
SLEEP = 6
LOOKUP = 7
WAIT_ROOM = 8      # send waiting for room in a full mailbox
DEAD = 9

STATE_NAMES = ("ready", "ready", "running", "recv", "send", "reply", "sleep",
               "lookup", "full", "dead")

# A tid is (generation << 10) | slot: 1024 live tasks, 1024 incarnations of a slot before
# its generation wraps. A call id is (sequence << 20) | the caller's tid, the sequence
# counting the caller's calls from 1 to 1023: all stay small ints on 32-bit ports.
SLOT_BITS = 10
SLOT_MASK = 1023
GEN_LIMIT = 1024
CALL_SHIFT = 20
CALL_LIMIT = 1024
TID_MASK = 0xFFFFF

NPRIO = 8          # priority levels 0 (lowest) .. 7
KERNEL = 0         # sender of messages from the kernel itself

BLOCKED = object()  # a system call's result: the task stopped running


def client(sender):
    # The tid of whoever sent what recv() returned: a call's sender is its call id.
    return sender & TID_MASK
