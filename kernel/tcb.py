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


# TCB fields, in order:
#   TID         this incarnation's tid
#   NAME, CORO  its name; the generator or coroutine
#   STATE       one of the states below
#   PRIO        priority it runs at now (raised while it serves a higher caller)
#   VALUE       value to resume with (or exception, in state THROW)
#   WAITS_ON    what a blocked task waits on (a tid, a name)
#   NEXT_READY  ready-list link
#   DEADLINE    timer deadline (ticks_ms);  TIMER_POS: index in the timer heap, -1 if none
#   MBOX_HEAD, MBOX_COUNT   mailbox ring head, messages queued
#   NOTES       pending notification bits
#   CAPS        None (unrestricted) or tuple of allowed tids / names
#   EXTRA       None or the rarely used part, kept aside (X_* below)
#   MSGS_IN, MSGS_OUT   messages and calls received; messages, calls and replies sent
#   SLICES, CPU_US, CPU_S   slices run; CPU time: microseconds below one second, and
#               whole seconds (keeps both in small-int range)
#   MAX_SLICE   longest slice, us
#   HEAP_B, HEAP_MB   bytes allocated: below 1 MiB, and whole MiB
#   CALL_ID     id of its latest call (see call ids below)
#   MBOX        mailbox ring: (sender, msg) pairs; a call is stored as ~call id
(TID, NAME, CORO, STATE, PRIO, VALUE, WAITS_ON, NEXT_READY, DEADLINE, TIMER_POS, MBOX_HEAD,
 MBOX_COUNT, NOTES, CAPS, EXTRA, MSGS_IN, MSGS_OUT, SLICES, CPU_US, CPU_S, MAX_SLICE, HEAP_B,
 HEAP_MB, CALL_ID, MBOX) = range(25)

# The EXTRA list:
#   X_WATCHERS      tids monitoring this task
#   X_KMSGS         kernel messages waiting (monitor "down")
#   X_PRIVILEGED    the privileged right (kernel/rights.py)
#   X_BASE_PRIO     its own priority while it runs at a lent one, else None
#   X_PENDING       the message of a send waiting for room (state WAIT_ROOM)
#   X_ROOM_WAITERS  TCBs waiting for room in this task's mailbox
#   X_MEASURE       measure its heap use where that is costly
(X_WATCHERS, X_KMSGS, X_PRIVILEGED, X_BASE_PRIO, X_PENDING, X_ROOM_WAITERS, X_MEASURE) = range(7)

# Task states. Only READY and THROW tasks sit in the ready lists.
#   THROW        ready; resume by throwing VALUE into the task
#   CALL_QUEUED  call made, message queued, the server has not received it yet
#   CALL_HELD    the server received the call, no reply yet
#   WAIT_ROOM    send waiting for room in a full mailbox
(READY, THROW, RUN, RECV, CALL_QUEUED, CALL_HELD, SLEEP, LOOKUP, WAIT_ROOM, DEAD) = range(10)

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
