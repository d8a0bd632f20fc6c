# The kernel: task table, round-robin scheduler with priority levels, deadline timers,
# bounded mailboxes, call/reply, notifications, names, monitors, faults and accounting.
#
# A task control block (TCB) is one flat list, not an object: on MicroPython a list
# indexed by const() offsets is both the smallest and the fastest record there is
# (instance attributes live in a hash map). The task's mailbox ring sits at the end of
# the same list, so an idle task costs one generator and one list.
from kernel import port
from kernel.errors import IPCError, Timeout, Dead, Full, Denied
from kernel.syscalls import (
    OP_PASS, OP_SLEEP, OP_SELF, OP_EXIT, OP_SEND, OP_RECV, OP_CALL, OP_REPLY,
    OP_NOTIFY, OP_REGISTER, OP_LOOKUP, OP_MONITOR, OP_KILL, OP_SPAWN,
)
from kernel.trace import TraceRing, EV_SPAWN, EV_SEND, EV_RECV, EV_CALL, EV_REPLY, \
    EV_NOTIFY, EV_FAULT, EV_EXIT, EV_KILL, EV_TIMEOUT, EV_SLOW, EV_IRQ_LOST

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


ticks_ms = port.ticks_ms
ticks_us = port.ticks_us
ticks_diff = port.ticks_diff
ticks_add = port.ticks_add

# Sender id of messages that come from the kernel itself (notifications, monitors).
KERNEL = 0

# --- TCB layout -------------------------------------------------------------------
_TID = const(0)      # this incarnation's tid
_NAME = const(1)
_GEN = const(2)      # the generator / coroutine
_STATE = const(3)
_PRIO = const(4)
_VAL = const(5)      # value to resume with (or exception, in state _THROW)
_WAIT = const(6)     # what a blocked task waits on (tid, name)
_NEXT = const(7)     # ready-list link
_DL = const(8)       # timer deadline (ticks_ms)
_HIDX = const(9)     # index in the timer heap, -1 if none
_MQH = const(10)     # mailbox ring head
_MQN = const(11)     # messages queued
_NOTE = const(12)    # pending notification bits
_CAPS = const(13)    # None (unrestricted) or tuple of allowed tids / names
_EXT = const(14)     # None or [watchers, kernel messages]: rarely used, kept aside
_NIN = const(15)
_NOUT = const(16)
_SLICES = const(17)
_CPU_US = const(18)  # CPU time: microseconds below one second ...
_CPU_S = const(19)   # ... and whole seconds (keeps both in small-int range)
_MAXUS = const(20)   # longest slice
_HEAP = const(21)    # bytes allocated, below 1 MiB ...
_HEAPM = const(22)   # ... and whole MiB
_QUOTA = const(23)   # None or [bytes per window, bytes this window, window epoch]
_MQ = const(24)      # mailbox ring: (sender, msg) pairs; a call's sender is stored as ~tid

# Task states. Only _READY and _THROW tasks sit in the ready lists.
_READY = const(0)
_THROW = const(1)    # ready; resume by throwing _VAL into the task
_RUN = const(2)
_RECV = const(3)
_SENDB = const(4)    # call made, message queued, server has not received it yet
_REPLYB = const(5)   # server received the call, reply not yet sent
_SLEEP = const(6)
_LOOKUP = const(7)
_DEAD = const(8)

STATE_NAMES = ("ready", "ready", "running", "recv", "send", "reply", "sleep",
               "lookup", "dead")

_SLOT_BITS = const(12)                   # up to 4096 live tasks
_SLOT_MASK = const(4095)
_GEN_LIMIT = const(262144)               # tid stays a small int on 32-bit ports
NPRIO = const(8)                         # priority levels 0 (lowest) .. 7
_BURST = const(16)                       # non-blocking syscalls run back to back per slice
_IDLE_MAX_MS = const(10)                 # longest idle sleep before re-checking interrupts
_QUOTA_WINDOW_MS = const(1000)
_EMERGENCY_BYTES = const(1024)
_FAULT_LOG = const(16)
_IRQ_RING = const(32)                    # power of two
_TICKS_MASK = const(0x3FFFFFFF)          # ticks_us() period is 2**30 on every port

_BLOCKED = object()                      # handler result: the task stopped running

# The hot syscall and trace codes again as local consts, so the compiler folds them into
# the scheduler loop instead of looking up module globals (checked equal below).
_OP_CALL = const(6)
_OP_RECV = const(5)
_OP_REPLY = const(7)
_GONE_NAMES = const(16)
_EV_CALL = const(4)
_EV_REPLY = const(5)
_EV_RECV = const(3)
assert (_OP_CALL, _OP_RECV, _OP_REPLY) == (OP_CALL, OP_RECV, OP_REPLY)
assert (_EV_CALL, _EV_REPLY, _EV_RECV) == (EV_CALL, EV_REPLY, EV_RECV)

_running = None                          # the kernel inside run(), for REPL helpers


def running_kernel():
    # The kernel that is running, or was running when the loop was last stopped.
    return _running


class Kernel:
    def __init__(self, trace=64, slow_slice_ms=20, forever=False, idle=None,
                 heap_accounting=None):
        self._slots = []            # slot -> TCB (a list), or the next generation (an int) when free
        self._free = []             # free slots
        self._rh = [None] * NPRIO   # ready list heads and tails, one per priority
        self._rt = [None] * NPRIO
        self._maxp = -1             # highest priority that may have ready tasks
        self._heap = []             # timer heap of TCBs, ordered by _DL
        self._names = {}            # name -> tid
        self._name_waiters = {}     # name -> [TCB] blocked in lookup
        self._cur = None
        self._stop = False
        self._in_run = False        # inside run(): the loop is being driven
        self._gone = [0, None] * _GONE_NAMES    # (tid, name) of the last tasks to end
        self._gone_i = 0
        self._forever = forever     # idle instead of returning when nothing is runnable
        self._idle_fn = idle or port.sleep_ms
        self._slow_us = slow_slice_ms * 1000
        self._faults = []
        self._fault_counts = {}     # task name -> faults so far
        self._tr = TraceRing(trace)
        # Interrupt ring: an ISR writes, the scheduler drains. Preallocated; an ISR
        # calling irq_notify() allocates nothing.
        self._irq_tid = [0] * _IRQ_RING
        self._irq_bits = [0] * _IRQ_RING
        self._irq_w = 0
        self._irq_r = 0
        self._irq_lost = 0
        # Heap accounting: exact and O(1) where the port counts allocations
        # (micropython.mem_total); elsewhere gc.mem_alloc() scans the heap, so it is
        # used only for tasks with a quota unless asked for.
        self._alloc = port.alloc_counter()
        self._account_all = heap_accounting if heap_accounting is not None \
            else port.cheap_alloc_counter()
        self._epoch = 0
        self._epoch_t = ticks_ms()
        # Counters for stats().
        self._dead_slices = 0       # slices of tasks that have ended (for stats)
        self._idle_us = 0
        self._gc_runs = 0
        self._gc_mark = 0           # allocation counter at the last idle collection
        self._started = ticks_ms()
        self._reserve = None
        self._heap_size = port.mem_free() + port.mem_alloc()    # fixed for the process
        port.reserve_emergency_buffer(256)
        self._reserve = bytearray(_EMERGENCY_BYTES)

    # --- task creation --------------------------------------------------------------

    def spawn(self, fn, *args, name=None, prio=0, mailbox=8, caps=None, quota=None):
        if not callable(fn):
            raise TypeError("spawn needs a generator function or async def")
        if not 0 <= prio < NPRIO:
            raise ValueError("prio must be 0..%d" % (NPRIO - 1))
        if mailbox < 1:
            raise ValueError("mailbox must hold at least one message")
        g = fn(*args)
        if not hasattr(g, "send"):
            raise TypeError("%s() did not return a generator or coroutine" % _fn_name(fn))
        if self._free:
            slot = self._free.pop()
            gen = self._slots[slot]
        else:
            slot = len(self._slots)
            if slot > _SLOT_MASK:
                raise MemoryError("task table full")
            self._slots.append(1)
            gen = 1
        tid = (gen << _SLOT_BITS) | slot
        if caps is not None:
            caps = tuple(caps)
        if quota is not None:
            quota = [quota, 0, self._epoch]
        t = [tid, name or _fn_name(fn), g, _READY, prio, None, None, None, 0, -1, 0, 0, 0,
             caps, None, 0, 0, 0, 0, 0, 0, 0, 0, quota]
        t.extend([None] * (2 * mailbox))
        self._slots[slot] = t
        self._ready(t)
        self._tr.log(EV_SPAWN, tid, slot)
        return tid

    # --- the loop -------------------------------------------------------------------

    def run(self):
        # Run tasks until none can run again, stop() is called, or Ctrl-C. Returns
        # "idle", "stopped" or "interrupted"; every task keeps its state, and calling
        # run() again resumes.
        #
        # The scheduler and the hot system calls (call, recv, reply) are written out in
        # this one function on purpose: MicroPython puts the frame of any function with
        # more than a few locals on the heap, so calling helpers per switch would
        # allocate (and a method call costs as much as a dozen list stores). This frame
        # is made once per run().
        global _running
        if self._cur is not None:
            raise RuntimeError("run() called from inside a task")
        _running = self
        self._stop = False
        rh = self._rh
        rt = self._rt
        tr = self._tr
        tb = tr.buf                 # trace ring, written inline on the hot path
        tl = len(tb)
        slots = self._slots
        measure_all = self._account_all
        alloc = self._alloc
        now_us = ticks_us
        blocked = _BLOCKED
        nxt = None          # a server the last call switched to directly
        t = None
        sc = None
        t0 = now_us()     # start of the current slice; one clock read per switch
        m0 = alloc() if measure_all else 0
        q0 = 0
        try:
            self._in_run = True     # inside the try: a Ctrl-C cannot leave it set
            while not self._stop:
                if nxt is not None:
                    # Direct switch (L4/QNX style): the caller blocked on a call and
                    # gave the rest of its turn to the server, which skips the queue.
                    t = nxt
                    nxt = None
                else:
                    if self._irq_w != self._irq_r:
                        self._drain_irqs()
                    if self._heap:
                        self._expire()
                    # Pick the head of the highest non-empty priority level.
                    p = self._maxp
                    while p >= 0:
                        t = rh[p]
                        if t is not None:
                            break
                        p -= 1
                    else:
                        self._maxp = -1
                        if self._idle():
                            t0 = now_us()
                            if measure_all:
                                m0 = alloc()
                            continue
                        return "idle"
                    self._maxp = p
                    n = t[_NEXT]
                    rh[p] = n
                    if n is None:
                        rt[p] = None
                    if t[_STATE] > _THROW:     # killed while queued
                        continue

                # One slice: resume t, then serve its system calls until it blocks
                # (or has made _BURST non-blocking ones in a row).
                self._cur = t
                if not measure_all and t[_QUOTA] is not None:
                    q0 = self._alloc()         # slow counter: only for tasks with a quota
                g = t[_GEN]
                v = t[_VAL]
                t[_VAL] = None
                throw = t[_STATE] == _THROW
                t[_STATE] = _RUN
                burst = _BURST
                in_task = False
                try:
                    while True:
                        in_task = True
                        if throw:
                            throw = False
                            sc = g.throw(v)
                        else:
                            sc = g.send(v)
                        in_task = False
                        if sc is None:             # bare `yield`: same as pass_()
                            self._ready(t)
                            break
                        op = sc.op
                        if op == _OP_CALL:
                            dst = sc.a
                            try:
                                d = slots[dst & _SLOT_MASK]
                                if d[_TID] != dst:
                                    d = None
                            except Exception:      # not a tid, or a slot never used
                                d = None
                            if d is None or d is t or (t[_CAPS] is not None and not self._allowed(t[_CAPS], dst)):
                                self._refuse(t, d, dst)
                            else:
                                tid = t[_TID]
                                t[_WAIT] = dst
                                t[_NOUT] += 1
                                d[_NIN] += 1
                                i = tr.i                   # trace: call
                                tb[i] = t0
                                tb[i + 1] = _EV_CALL
                                tb[i + 2] = tid
                                tb[i + 3] = dst
                                i += 4
                                tr.i = i if i < tl else 0
                                if sc.c is not None:
                                    self._timer_add(t, sc.c)
                                if d[_STATE] == _RECV:
                                    # The server is waiting: hand the message over and
                                    # run it now if it is not of lower priority.
                                    if d[_HIDX] >= 0:
                                        self._timer_del(d)
                                    d[_VAL] = (tid, sc.b)
                                    t[_STATE] = _REPLYB
                                    if d[_PRIO] >= t[_PRIO]:
                                        d[_STATE] = _READY
                                        nxt = d
                                    else:
                                        self._ready(d)
                                    break
                                if self._enqueue(d, ~tid, sc.b):
                                    t[_STATE] = _SENDB
                                    break
                                t[_NOUT] -= 1
                                d[_NIN] -= 1
                                if t[_HIDX] >= 0:
                                    self._timer_del(t)
                                self._fail(t, Full(dst))
                        elif op == _OP_RECV:
                            v = None
                            if t[_NOTE] or t[_EXT] is not None:
                                v = self._kernel_message(t)   # notification bits first
                            if v is not None:
                                pass
                            elif t[_MQN]:
                                # Take the oldest message from the ring.
                                h = t[_MQH]
                                i = _MQ + 2 * h
                                s = t[i]
                                v = (s if s > 0 else ~s, t[i + 1])
                                t[i] = None
                                t[i + 1] = None
                                h += 1
                                t[_MQH] = 0 if _MQ + 2 * h >= len(t) else h
                                t[_MQN] -= 1
                                if s < 0:              # a call: its sender now awaits the reply
                                    self._now_awaits_reply(t, ~s)
                                tr.log(_EV_RECV, t[_TID], v[0])
                            elif sc.a == 0:
                                self._fail(t, Timeout("recv"))
                            else:                          # nothing there: wait
                                t[_STATE] = _RECV
                                t[_WAIT] = None
                                if sc.a is not None:
                                    self._timer_add(t, sc.a)
                                break
                        elif op == _OP_REPLY:
                            dst = sc.a
                            try:
                                c = slots[dst & _SLOT_MASK]
                                if c[_TID] != dst or c[_STATE] != _REPLYB or c[_WAIT] != t[_TID]:
                                    c = None
                            except Exception:
                                c = None
                            # A reply goes to whoever waits on this server under that tid.
                            # A server that defers replies and so holds two calls from one
                            # client (the first timed out) cannot tell them apart: the
                            # sender id names the client, not the call.
                            if c is None:
                                v = False                  # the caller gave up or died
                            else:
                                if c[_HIDX] >= 0:
                                    self._timer_del(c)
                                c[_VAL] = sc.b
                                c[_STATE] = _READY
                                p = c[_PRIO]               # append to its ready list
                                c[_NEXT] = None
                                n = rt[p]
                                if n is None:
                                    rh[p] = c
                                else:
                                    n[_NEXT] = c
                                rt[p] = c
                                if p > self._maxp:
                                    self._maxp = p
                                t[_NOUT] += 1
                                c[_NIN] += 1
                                i = tr.i                   # trace: reply
                                tb[i] = t0
                                tb[i + 1] = _EV_REPLY
                                tb[i + 2] = t[_TID]
                                tb[i + 3] = dst
                                i += 4
                                tr.i = i if i < tl else 0
                                v = True
                        else:
                            v = self._other(t, op, sc)
                            if v is blocked:
                                break
                        if t[_STATE] == _THROW:        # the syscall failed: throw its error
                            throw = True
                            v = t[_VAL]
                            t[_VAL] = None
                            t[_STATE] = _RUN
                        burst -= 1
                        if burst == 0:                 # let the others run too
                            t[_VAL] = v
                            t[_STATE] = _THROW if throw else _READY
                            self._ready_keep(t)
                            break
                except StopIteration:
                    self._end(t, "normal", EV_EXIT)
                except KeyboardInterrupt as e:
                    if in_task:                # raised inside the task: its frame is gone
                        self._fault(t, e)
                    elif t[_STATE] == _RUN:    # raised in kernel code: the task lives on
                        t[_VAL] = v
                        self._ready(t)
                    raise
                except Exception as e:         # MemoryError included: contained
                    if not in_task and not hasattr(sc, "op"):
                        e = TypeError("task yielded %r, not a syscall" % (sc,))
                    self._fault(t, e)

                # Account the slice to t: CPU time, longest slice, heap allocated.
                n = now_us()
                dt = (n - t0) & _TICKS_MASK
                t0 = n
                c = t[_CPU_US] + dt
                if c >= 1000000:
                    t[_CPU_S] += c // 1000000
                    c -= 1000000 * (c // 1000000)
                t[_CPU_US] = c
                t[_SLICES] += 1
                if dt > t[_MAXUS]:
                    t[_MAXUS] = dt
                    if dt > self._slow_us:
                        tr.log(EV_SLOW, t[_TID], dt // 1000)
                if measure_all:
                    n = alloc()
                    m = n - m0
                    m0 = n
                elif t[_QUOTA] is not None:
                    m = self._alloc() - q0
                else:
                    m = 0
                if m > 0:
                    if t[_QUOTA] is not None:
                        self._charge_quota(t, m)
                    m += t[_HEAP]
                    if m >= 0x100000:          # carry whole MiB: stays a small int
                        t[_HEAPM] += m >> 20
                        m &= 0xFFFFF
                    t[_HEAP] = m
            return "stopped"
        except KeyboardInterrupt:
            return "interrupted"
        finally:
            self._cur = None
            self._in_run = False
            if nxt is not None:                # a direct switch still pending
                self._ready(nxt)

    def is_running(self):
        # True while run() drives the loop (not after Ctrl-C or stop(), until resumed).
        return self._in_run

    def stop(self):
        # Make run() return after the current slice; state is kept.
        self._stop = True

    def _refuse(self, t, d, dst):
        # The inline call path found it cannot go ahead: a call to oneself, or Dead /
        # Denied exactly as for send.
        if d is t:
            self._fail(t, IPCError("call to self would never return"))
        else:
            self._deliverable(t, dst)

    def _now_awaits_reply(self, server, caller):
        # The server has taken caller's call from its mailbox: send-blocked -> reply-blocked.
        c = self._task(caller)
        if c is not None and c[_STATE] == _SENDB and c[_WAIT] == server[_TID]:
            c[_STATE] = _REPLYB

    def _ready_keep(self, t):
        # Queue a task whose state (_THROW) and value were already set.
        p = t[_PRIO]
        t[_NEXT] = None
        tail = self._rt[p]
        if tail is None:
            self._rh[p] = t
        else:
            tail[_NEXT] = t
        self._rt[p] = t
        if p > self._maxp:
            self._maxp = p

    def _ready(self, t):
        t[_STATE] = _READY
        self._ready_keep(t)

    def _fail(self, t, exc):
        # A syscall failed: the task gets exc thrown in when it next runs.
        t[_VAL] = exc
        t[_STATE] = _THROW

    def _wake_fail(self, t, exc):
        if t[_HIDX] >= 0:
            self._timer_del(t)
        t[_VAL] = exc
        t[_STATE] = _THROW
        self._ready_keep(t)

    def _wake(self, t, v):
        if t[_HIDX] >= 0:
            self._timer_del(t)
        t[_VAL] = v
        self._ready(t)

    # --- lookups --------------------------------------------------------------------

    def _task(self, tid):
        # The live TCB for tid, or None if that incarnation has ended.
        if type(tid) is not int or tid <= 0:
            return None
        slot = tid & _SLOT_MASK
        if slot >= len(self._slots):
            return None
        t = self._slots[slot]
        if type(t) is not list or t[_TID] != tid:
            return None
        return t

    def _allowed(self, caps, dst):
        if dst in caps:
            return True
        names = self._names
        for c in caps:
            if type(c) is str and names.get(c) == dst:
                return True
        return False

    # --- IPC ------------------------------------------------------------------------

    def _deliverable(self, t, dst):
        # The destination TCB, or None after failing t with the right error.
        d = self._task(dst)
        if d is None:
            self._fail(t, Dead(dst))
            return None
        caps = t[_CAPS]
        if caps is not None and not self._allowed(caps, dst):
            self._fail(t, Denied(dst))
            return None
        return d

    def _enqueue(self, d, sender, msg):
        # Append to d's mailbox ring; False when it is full.
        n = d[_MQN]
        cap = (len(d) - _MQ) >> 1
        if n == cap:
            return False
        i = _MQ + 2 * ((d[_MQH] + n) % cap)
        d[i] = sender
        d[i + 1] = msg
        d[_MQN] = n + 1
        return True

    def _send(self, t, dst, msg):
        d = self._deliverable(t, dst)
        if d is None:
            return None
        tid = t[_TID]
        if d[_STATE] == _RECV:
            self._wake(d, (tid, msg))
        elif not self._enqueue(d, tid, msg):
            self._fail(t, Full(dst))
            return None
        t[_NOUT] += 1
        d[_NIN] += 1
        self._tr.log(EV_SEND, tid, dst)
        return None

    def _kernel_message(self, t):
        # What recv delivers before mailbox messages: pending notification bits, then
        # kernel messages (monitor "down"). None when there is neither.
        b = t[_NOTE]
        if b:
            t[_NOTE] = 0
            return (KERNEL, b)
        ext = t[_EXT]
        if ext is not None and ext[1]:
            return (KERNEL, ext[1].pop(0))
        return None

    def _notify(self, d, bits):
        if d[_STATE] == _RECV:
            self._wake(d, (KERNEL, d[_NOTE] | bits))
            d[_NOTE] = 0
        else:
            d[_NOTE] |= bits

    def _post(self, d, msg):
        # A kernel message (monitor "down"): never dropped, kept outside the mailbox.
        if d[_STATE] == _RECV:
            self._wake(d, (KERNEL, msg))
            return
        ext = d[_EXT]
        if ext is None:
            ext = d[_EXT] = [None, []]
        ext[1].append(msg)

    def _other(self, t, op, sc):
        # The less frequent syscalls.
        if op == OP_SEND:
            return self._send(t, sc.a, sc.b)
        if op == OP_PASS:
            self._ready(t)
            return _BLOCKED
        if op == OP_SLEEP:
            t[_STATE] = _SLEEP
            self._timer_add(t, sc.a)
            return _BLOCKED
        if op == OP_SELF:
            return t[_TID]
        if op == OP_NOTIFY:
            d = self._deliverable(t, sc.a)
            if d is not None:
                self._notify(d, sc.b)
                self._tr.log(EV_NOTIFY, t[_TID], sc.a)
            return None
        if op == OP_REGISTER:
            return self._register(t, sc.a)
        if op == OP_LOOKUP:
            tid = self._names.get(sc.a)
            if tid is not None:
                return tid
            if sc.b == 0:
                self._fail(t, Timeout("lookup " + str(sc.a)))
                return None
            t[_STATE] = _LOOKUP
            t[_WAIT] = sc.a
            self._name_waiters.setdefault(sc.a, []).append(t)
            if sc.b is not None:
                self._timer_add(t, sc.b)
            return _BLOCKED
        if op == OP_MONITOR:
            return self._monitor(t, sc.a)
        if op == OP_KILL:
            target = self._task(sc.a)
            if target is None:
                self._fail(t, Dead(sc.a))
                return None
            self.kill(sc.a)
            return _BLOCKED if target is t else None
        if op == OP_EXIT:
            self._close(t)
            self._end(t, "normal", EV_EXIT)
            return _BLOCKED
        if op == OP_SPAWN:
            name, prio, mailbox, caps, quota = sc.c
            if caps is None and t[_CAPS] is not None:
                caps = t[_CAPS]                # a child never gets more rights than its parent
            try:
                return self.spawn(sc.a, *sc.b, name=name, prio=prio, mailbox=mailbox,
                                  caps=caps, quota=quota)
            except (TypeError, ValueError, MemoryError) as e:
                self._fail(t, e)
                return None
        self._fail(t, TypeError("unknown syscall %r" % (sc,)))
        return None

    def _register(self, t, name):
        old = self._names.get(name)
        if old is not None and old != t[_TID] and self._task(old) is not None:
            self._fail(t, IPCError("name %r is taken" % (name,)))
            return None
        tid = t[_TID]
        self._names[name] = tid
        waiters = self._name_waiters.pop(name, None)
        if waiters:
            for w in waiters:
                if w[_STATE] == _LOOKUP:
                    self._wake(w, tid)
        return None

    def _monitor(self, t, target):
        d = self._task(target)
        if d is None:
            self._post(t, ("down", target, "noproc"))
            return None
        ext = d[_EXT]
        if ext is None:
            ext = d[_EXT] = [None, []]
        watchers = ext[0]
        if watchers is None:
            watchers = ext[0] = []
        else:                                  # forget watchers that have ended
            watchers[:] = [w for w in watchers if self._task(w) is not None]
        watchers.append(t[_TID])
        return None

    # --- interrupts -----------------------------------------------------------------

    def irq_notify(self, tid, bits):
        # Safe from an interrupt handler: allocates nothing, touches only the ring.
        # The scheduler delivers the bits as a notify() from the kernel.
        w = self._irq_w
        nw = (w + 1) & (_IRQ_RING - 1)
        if nw == self._irq_r:
            self._irq_lost += 1
            return False
        self._irq_tid[w] = tid
        self._irq_bits[w] = bits
        self._irq_w = nw
        return True

    def _drain_irqs(self):
        r = self._irq_r
        while r != self._irq_w:
            d = self._task(self._irq_tid[r])
            if d is not None:
                self._notify(d, self._irq_bits[r])
            r = (r + 1) & (_IRQ_RING - 1)
            self._irq_r = r
        if self._irq_lost:
            self._tr.log(EV_IRQ_LOST, 0, self._irq_lost)

    def notify(self, tid, bits):
        # Notify from outside any task (REPL, host glue). ISRs use irq_notify().
        d = self._task(tid)
        if d is None:
            raise Dead(tid)
        self._notify(d, bits)

    # --- timers: a binary heap of TCBs ordered by deadline (wraparound-safe) ----------

    def _timer_add(self, t, ms):
        if t[_HIDX] >= 0:
            self._timer_del(t)
        t[_DL] = ticks_add(ticks_ms(), max(0, int(ms)))
        h = self._heap
        h.append(t)
        self._sift_up(len(h) - 1, t)

    def _sift_up(self, i, t):
        h = self._heap
        dl = t[_DL]
        while i > 0:
            p = (i - 1) >> 1
            pt = h[p]
            if ticks_diff(dl, pt[_DL]) >= 0:
                break
            h[i] = pt
            pt[_HIDX] = i
            i = p
        h[i] = t
        t[_HIDX] = i

    def _sift_down(self, i, t):
        h = self._heap
        n = len(h)
        dl = t[_DL]
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and ticks_diff(h[c + 1][_DL], h[c][_DL]) < 0:
                c += 1
            ct = h[c]
            if ticks_diff(ct[_DL], dl) >= 0:
                break
            h[i] = ct
            ct[_HIDX] = i
            i = c
        h[i] = t
        t[_HIDX] = i

    def _timer_del(self, t):
        h = self._heap
        i = t[_HIDX]
        t[_HIDX] = -1
        last = h.pop()
        if last is not t:
            self._sift_down(i, last)
            self._sift_up(last[_HIDX], last)

    def _expire(self):
        h = self._heap
        now = ticks_ms()
        while h and ticks_diff(h[0][_DL], now) <= 0:
            t = h[0]
            self._timer_del(t)
            self._timeout(t)
        if ticks_diff(now, self._epoch_t) >= _QUOTA_WINDOW_MS:
            self._new_epoch(now)

    def _timeout(self, t):
        st = t[_STATE]
        if st == _SLEEP:
            self._wake(t, None)
            return
        if st == _SENDB:                       # take the unreceived call back
            d = self._task(t[_WAIT])
            if d is not None:
                self._unqueue(d, ~t[_TID])
        elif st == _LOOKUP:
            waiters = self._name_waiters.get(t[_WAIT])
            if waiters and t in waiters:
                waiters.remove(t)
        if st != _RECV:     # a recv that times out is a periodic task's tick: not traced
            self._tr.log(EV_TIMEOUT, t[_TID], st)
        self._wake_fail(t, Timeout(STATE_NAMES[st]))

    def _unqueue(self, d, sender):
        # Remove the queued message from sender (rare: a call that timed out unreceived).
        n = d[_MQN]
        cap = (len(d) - _MQ) >> 1
        h = d[_MQH]
        kept = []
        for k in range(n):
            i = _MQ + 2 * ((h + k) % cap)
            if d[i] != sender:
                kept.append((d[i], d[i + 1]))
            d[i] = d[i + 1] = None
        d[_MQH] = 0
        d[_MQN] = 0
        for s, m in kept:
            self._enqueue(d, s, m)

    # --- idle -----------------------------------------------------------------------

    def _idle(self):
        # Nothing is ready. Sleep until the next deadline (or a short while, to look at
        # the interrupt ring). False when no task can ever become ready again.
        if self._irq_w != self._irq_r:
            return True
        if self._heap:
            delay = ticks_diff(self._heap[0][_DL], ticks_ms())
            if delay <= 0:
                return True
        elif self._forever:
            delay = _IDLE_MAX_MS
        else:
            return False
        t0 = ticks_us()
        if delay > 2 and self._alloc() - self._gc_mark > 4096:
            port.collect()                     # tidy the heap while nobody needs the CPU
            self._gc_runs += 1
            self._gc_mark = self._alloc()
            delay = ticks_diff(self._heap[0][_DL], ticks_ms()) if self._heap else delay
        if delay > 0:
            self._idle_fn(min(delay, _IDLE_MAX_MS))
        self._idle_us += ticks_diff(ticks_us(), t0)
        return True

    # --- accounting -----------------------------------------------------------------

    def _new_epoch(self, now):
        self._epoch += 1
        self._epoch_t = now

    def _charge_quota(self, t, m):
        # Bytes a task may allocate per quota window; past that the task is ended.
        q = t[_QUOTA]
        if q[2] != self._epoch:
            q[1] = 0
            q[2] = self._epoch
        q[1] += m
        if q[1] > q[0] and t[_STATE] != _DEAD:
            self._close(t)
            self._record_fault(t, "QuotaExceeded", "allocated %d bytes in %d ms, quota %d"
                               % (q[1], _QUOTA_WINDOW_MS, q[0]), "")
            self._end(t, "quota", EV_FAULT)

    # --- ending tasks -----------------------------------------------------------------

    def kill(self, tid):
        # End a task from the REPL, the console or another task.
        t = self._task(tid)
        if t is None:
            raise Dead(tid)
        self._close(t)
        self._end(t, "killed", EV_KILL)

    def _close(self, t):
        # Run the task's finally blocks (it is suspended at a yield, never mid-slice);
        # a task that misbehaves while closing is ended all the same.
        g = t[_GEN]
        if g is not None:
            try:
                g.close()
            except Exception:
                pass

    def _fault(self, t, e):
        if isinstance(e, MemoryError):
            self._reserve = None               # give the handler room to record it
            port.collect()
        try:
            self._record_fault(t, type(e).__name__, str(e), port.format_exception(e))
        except MemoryError:
            self._record_fault(t, "MemoryError", "", "")
        self._end(t, "fault:" + type(e).__name__, EV_FAULT)
        if self._reserve is None:
            try:
                self._reserve = bytearray(_EMERGENCY_BYTES)
            except MemoryError:
                pass

    def _record_fault(self, t, kind, text, tb):
        name = t[_NAME]
        self._fault_counts[name] = self._fault_counts.get(name, 0) + 1
        rec = {"tid": t[_TID], "name": name, "type": kind, "text": text,
               "traceback": tb, "ticks_ms": ticks_ms()}
        self._faults.append(rec)
        if len(self._faults) > _FAULT_LOG:
            self._faults.pop(0)

    def _end(self, t, reason, ev):
        tid = t[_TID]
        if t[_STATE] == _DEAD:
            return
        i = self._gone_i                       # its name, for traces that outlive it
        self._gone[i] = tid
        self._gone[i + 1] = t[_NAME]
        self._gone_i = (i + 2) % len(self._gone)
        st = t[_STATE]
        t[_STATE] = _DEAD
        t[_GEN] = None
        self._dead_slices += t[_SLICES] + (st == _RUN)
        if t[_HIDX] >= 0:
            self._timer_del(t)
        if st == _LOOKUP:
            waiters = self._name_waiters.get(t[_WAIT])
            if waiters and t in waiters:
                waiters.remove(t)
        slot = tid & _SLOT_MASK
        g = (tid >> _SLOT_BITS) + 1
        self._slots[slot] = g if g < _GEN_LIMIT else 1
        self._free.append(slot)
        for name in [n for n, v in self._names.items() if v == tid]:
            del self._names[name]
        self._tr.log(ev, tid, 0)
        # Callers whose message waits in our mailbox, and callers waiting for our
        # reply, learn at once that we are gone.
        n = t[_MQN]
        cap = (len(t) - _MQ) >> 1
        for k in range(n):
            i = _MQ + 2 * ((t[_MQH] + k) % cap)
            s = t[i]
            if s is not None and s < 0:
                c = self._task(~s)
                if c is not None and c[_STATE] == _SENDB and c[_WAIT] == tid:
                    self._wake_fail(c, Dead(tid))
            t[i] = t[i + 1] = None
        t[_MQN] = 0
        for c in self._slots:
            if type(c) is list and c[_STATE] == _REPLYB and c[_WAIT] == tid:
                self._wake_fail(c, Dead(tid))
        ext = t[_EXT]
        if ext is not None and ext[0]:
            msg = ("down", tid, reason)
            for w in ext[0]:
                d = self._task(w)
                if d is not None:
                    self._post(d, msg)
        t[_EXT] = None

    # --- inspection -------------------------------------------------------------------

    def tasks(self):
        # tids of the live tasks, in slot order.
        return [t[_TID] for t in self._slots if type(t) is list]

    def task_info(self, tid):
        # One task as plain data (the same fields ps() prints).
        t = self._task(tid)
        if t is None:
            raise Dead(tid)
        return self._info(t)

    def _info(self, t, slim=False):
        # slim: only what ps shows (cheaper: no name search, fewer keys).
        st = t[_STATE]
        w = t[_WAIT]
        if st == _SENDB:
            waits = "send %d" % w
        elif st == _REPLYB:
            waits = "reply %d" % w
        elif st == _LOOKUP:
            waits = "name %s" % w
        elif st == _RECV:
            waits = "msg" if t[_HIDX] < 0 else "msg %dms" % max(0, ticks_diff(t[_DL], ticks_ms()))
        elif st == _SLEEP:
            waits = "%dms" % max(0, ticks_diff(t[_DL], ticks_ms()))
        else:
            waits = ""
        if slim:
            return {"tid": t[_TID], "name": t[_NAME], "state": STATE_NAMES[st], "waits": waits,
                    "prio": t[_PRIO], "mbox": t[_MQN], "mbox_cap": (len(t) - _MQ) >> 1,
                    "cpu_us": t[_CPU_S] * 1000000 + t[_CPU_US],
                    "heap": t[_HEAPM] * 0x100000 + t[_HEAP],
                    "faults": self._fault_counts.get(t[_NAME], 0)}
        q = t[_QUOTA]
        return {
            "tid": t[_TID],
            "name": t[_NAME],
            "state": STATE_NAMES[st],
            "waits": waits,
            "prio": t[_PRIO],
            "mbox": t[_MQN],
            "mbox_cap": (len(t) - _MQ) >> 1,
            "notes": t[_NOTE],
            "msgs_in": t[_NIN],
            "msgs_out": t[_NOUT],
            "slices": t[_SLICES],
            "cpu_us": t[_CPU_S] * 1000000 + t[_CPU_US],
            "max_slice_us": t[_MAXUS],
            "heap": t[_HEAPM] * 0x100000 + t[_HEAP],
            "quota": q[0] if q else None,
            "faults": self._fault_counts.get(t[_NAME], 0),
            "names": [n for n, v in self._names.items() if v == t[_TID]],
        }

    def snapshot(self):
        # Everything ps(), stats() and the fault log show, as JSON-serialisable data.
        return {
            "tasks": [self._info(t) for t in self._slots if type(t) is list],
            "stats": self.stats(),
            "faults": self.faults(),
        }

    def faults(self):
        # The last faults, oldest first: dicts with tid, name, type, text, traceback.
        return [dict(f) for f in self._faults]

    def stats(self):
        # gc.mem_free() walks the heap (8 ms on a Pico); mem_alloc is what it is not.
        free = port.mem_free()
        return {
            "uptime_ms": ticks_diff(ticks_ms(), self._started),
            "tasks": len(self._slots) - len(self._free),
            "switches": self._dead_slices + sum(t[_SLICES] for t in self._slots if type(t) is list),
            "idle_ms": self._idle_us // 1000,
            "gc_runs": self._gc_runs,
            "faults": sum(self._fault_counts.values()),
            "irq_lost": self._irq_lost,
            "timers": len(self._heap),
            "mem_free": free,
            "mem_alloc": self._heap_size - free,
        }

    def name_of(self, tid):
        # The name of task tid: live, or among the last GONE_NAMES to end; else None.
        t = self._task(tid)
        if t is not None:
            return t[_NAME]
        g = self._gone
        for i in range(0, len(g), 2):
            if g[i] == tid:
                return g[i + 1]
        return None

    def iter_info(self, slim=False):
        # task_info() of every live task, one at a time (no list of them all); slim:
        # only the fields ps shows.
        for t in self._slots:
            if type(t) is list:
                yield self._info(t, slim)

    def ps(self):
        # The task table, printed a line at a time (restarts are the supervisor's: "-").
        from kernel.inspect import ps_head, ps_line, ps_record

        print(ps_head())
        for info in self.iter_info(True):
            print(ps_line(ps_record(info, None)))

    def trace(self, n=None):
        from kernel.inspect import trace_line, trace_record

        evs = self.trace_events(n)
        for e in evs:
            print(trace_line(trace_record(e, self.name_of)))
        if not evs:
            print("(no events)")

    def trace_events(self, n=None):
        # The last n kernel events, oldest first: (ticks_ms, event, tid, arg).
        return self._tr.events(n)

    def current(self):
        # tid of the task being run, or None between slices.
        return self._cur[_TID] if self._cur is not None else None


def _fn_name(fn):
    return getattr(fn, "__name__", "task")
