# The scheduler: the task table, the ready lists and the loop that runs tasks.
#
# The loop and the three hot system calls (call, recv, reply) are written out in run() on
# purpose, one function with no helper calls per switch: MicroPython puts the frame of
# any function with more than a few locals on the heap, so calling helpers on each switch
# would allocate, and a method call costs as much as a dozen list stores. run() is compiled
# to machine code where MicroPython can (@micropython.native: 420 -> 290 us per round trip
# on an RP2040); the native emitter keeps Python semantics, so the loop reads the same on
# CPython. Everything else
# lives in the parts the Kernel class is made of, one concept each: ipc.py (send, notify,
# names, monitors, lent priority), timers.py, irq.py, faults.py (ending tasks),
# rights.py (the checked, privileged calls), resources.py (hardware claims) and
# inspect.py (what can be read of the system).
from kernel import port
from kernel.port import micropython
from kernel.errors import Full, Timeout
from kernel.faults import Faults
from kernel.inspect import Inspect
from kernel.injection import Inject
from kernel.ipc import Ipc
from kernel.irq import Irq
from kernel.resources import Resources
from kernel.rights import Rights
from kernel.syscalls import NAMES, OP_CALL, OP_RECV, OP_REPLY
from kernel.tcb import BLOCKED, NPRIO, TID_MASK, const
from kernel.timers import Timers
from kernel.trace import TraceRing, EV_SPAWN, EV_CALL, EV_REPLY, EV_RECV, EV_SLOW, EV_EXIT

# The TCB fields and states this part uses (kernel/tcb.py has them all; a test checks
# these agree with it): private consts, which MicroPython folds into the code.
_READY = const(0)
_TID = const(0)
_NAME = const(1)
_THROW = const(1)
_CORO = const(2)
_RUN = const(2)
_X_PRIVILEGED = const(2)
_RECV = const(3)
_STATE = const(3)
_X_BASE_PRIO = const(3)
_CALL_QUEUED = const(4)
_PRIO = const(4)
_CALL_HELD = const(5)
_VALUE = const(5)
_X_ROOM_WAITERS = const(5)
_WAITS_ON = const(6)
_X_MEASURE = const(6)
_NEXT_READY = const(7)
_DEADLINE = const(8)
_TIMER_POS = const(9)
_MBOX_HEAD = const(10)
_SLOT_BITS = const(10)
_MBOX_COUNT = const(11)
_NOTES = const(12)
_CAPS = const(13)
_EXTRA = const(14)
_MSGS_IN = const(15)
_MSGS_OUT = const(16)
_SLICES = const(17)
_CPU_US = const(18)
_CPU_S = const(19)
_CALL_SHIFT = const(20)
_MAX_SLICE = const(20)
_HEAP_B = const(21)
_HEAP_MB = const(22)
_CALL_ID = const(23)
_MBOX = const(24)
_SLOT_MASK = const(1023)
_CALL_LIMIT = const(1024)

ticks_ms = port.ticks_ms
ticks_us = port.ticks_us
ticks_diff = port.ticks_diff

_BURST = const(16)                       # non-blocking syscalls run back to back per slice
_IDLE_MAX_MS = const(10)                 # longest idle sleep before re-checking interrupts
_TICKS_MASK = const(0x3FFFFFFF)          # ticks_us() period is 2**30 on every port

# The hot syscall and trace codes again as local consts, so the compiler folds them into
# the loop instead of looking up module globals (checked equal below).
_OP_CALL = const(6)
_OP_RECV = const(5)
_OP_REPLY = const(7)
_EV_CALL = const(4)
_EV_REPLY = const(5)
_EV_RECV = const(3)
assert (_OP_CALL, _OP_RECV, _OP_REPLY) == (OP_CALL, OP_RECV, OP_REPLY)
assert (_EV_CALL, _EV_REPLY, _EV_RECV) == (EV_CALL, EV_REPLY, EV_RECV)

_running = None                          # the kernel run() runs (or ran last): REPL helpers


def running_kernel():
    # The kernel that is running, or was running when the loop was last stopped. For the
    # REPL after Ctrl-C; tasks use system calls.
    return _running


class Kernel(Ipc, Timers, Irq, Faults, Rights, Resources, Inspect, Inject):
    def __init__(self, trace=64, slow_slice_ms=20, forever=False, idle=None,
                 heap_accounting=None):
        self._slots = []            # slot -> TCB (a list), or the next generation (an int) when free
        self._free = []             # free slots
        self._rh = [None] * NPRIO   # ready list heads and tails, one per priority
        self._rt = [None] * NPRIO
        self._maxp = -1             # highest priority that may have ready tasks
        self._cur = None
        # Flags the loop reads on every pass, in a list (a list load costs a Pico half
        # what an attribute does): [stop requested, interrupts waiting in the ring].
        self._flags = [False, False]
        self._in_run = False        # inside run(): the loop is being driven
        self._forever = forever     # idle instead of returning when nothing is runnable
        self._idle_fn = idle or port.sleep_ms
        self._slow_us = slow_slice_ms * 1000
        self._tr = TraceRing(trace)
        # Heap accounting: exact and O(1) where the port counts allocations
        # (micropython.mem_total); elsewhere gc.mem_alloc() scans the heap, so only the
        # tasks spawned with measure=True are measured, unless asked for.
        self._alloc = port.alloc_counter()
        self._account_all = heap_accounting if heap_accounting is not None \
            else port.cheap_alloc_counter()
        self._idle_us = 0
        self._gc_runs = 0
        self._gc_mark = 0           # allocation counter at the last idle collection
        self._started = ticks_ms()
        self._dead_slices = 0
        self._heap_size = port.mem_free() + port.mem_alloc()    # fixed for the process
        Ipc.__init__(self)
        Timers.__init__(self)
        Irq.__init__(self)
        Faults.__init__(self)
        Resources.__init__(self)

    # --- task creation --------------------------------------------------------------

    def spawn(self, fn, *args, name=None, prio=0, mailbox=8, caps=None, privileged=False,
              measure=False, owns=None):
        # From outside the loop (the firmware, tests): nothing is checked against a
        # parent. Tasks spawn with the `spawn` system call, which is (rights.py).
        if not callable(fn):
            raise TypeError("spawn needs a generator function or async def")
        if type(prio) is not int or not 0 <= prio < NPRIO:
            raise ValueError("prio must be 0..%d" % (NPRIO - 1))
        if type(mailbox) is not int or not 1 <= mailbox <= 256:
            raise ValueError("mailbox must hold 1..256 messages")
        if owns is not None:
            self.own(owns, name or getattr(fn, "__name__", "task"))
        g = fn(*args)
        if not hasattr(g, "send"):
            raise TypeError("%s() did not return a generator or coroutine" % getattr(fn, "__name__", "task"))
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
        t = [tid, name or getattr(fn, "__name__", "task"), g, _READY, prio, None, None, None, 0, -1,
             0, 0, 0, caps, None, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        t.extend([None] * (2 * mailbox))
        if privileged or measure:
            x = self._ext(t)
            x[_X_PRIVILEGED] = bool(privileged)
            x[_X_MEASURE] = bool(measure)
        self._slots[slot] = t
        self._ready(t)
        self._tr.log(EV_SPAWN, tid, slot)
        return tid

    # --- the loop -------------------------------------------------------------------

    @micropython.native        # machine code on MicroPython: a third less per round trip
    def run(self):
        # Run tasks until none can run again, stop() is called, or Ctrl-C. Returns
        # "idle", "stopped" or "interrupted"; every task keeps its state, and calling
        # run() again resumes.
        global _running
        if self._cur is not None:
            raise RuntimeError("run() called from inside a task")
        _running = self
        flags = self._flags
        flags[0] = False
        rh = self._rh
        rt = self._rt
        tr = self._tr
        tb = tr.buf                 # trace ring, written inline on the hot path
        tp = tr.pos                 # [next entry to write]
        tl = len(tb)
        heap = self._heap           # timer heap (the list itself never changes)
        slots = self._slots
        measure_all = self._account_all
        alloc = self._alloc
        now_us = ticks_us
        blocked = BLOCKED
        nxt = None          # a server the last call switched to directly
        t = None
        sc = None
        t0 = now_us()     # start of the current slice; one clock read per switch
        m0 = alloc() if measure_all else 0
        try:
            self._in_run = True     # inside the try: a Ctrl-C cannot leave it set
            while True:
                if nxt is not None:
                    # Direct switch (L4/QNX style): the caller blocked on a call and
                    # gave the rest of its turn to the server, which skips the queue.
                    # (A stop waits for the end of the chain: it is as long as the
                    # chain of calls, never longer.)
                    t = nxt
                    nxt = None
                else:
                    if flags[0]:
                        break
                    if flags[1]:
                        self._drain_irqs()
                    if heap:
                        self._expire()
                    # Pick the head of the highest non-empty priority level.
                    p = p0 = self._maxp
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
                    if p != p0:
                        self._maxp = p
                    n = t[_NEXT_READY]
                    rh[p] = n
                    if n is None:
                        rt[p] = None
                    if t[_STATE] > _THROW:     # killed while queued
                        continue

                # One slice: resume t, then serve its system calls until it blocks
                # (or has made _BURST non-blocking ones in a row).
                self._cur = t
                x = t[_EXTRA]
                measured = not measure_all and x is not None and x[_X_MEASURE]
                if measured:
                    m0 = alloc()               # slow counter: only for tasks measured
                g = t[_CORO]
                v = t[_VALUE]
                t[_VALUE] = None
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
                                seq = (t[_CALL_ID] >> _CALL_SHIFT) + 1
                                cid = ((seq if seq < _CALL_LIMIT else 1) << _CALL_SHIFT) | tid
                                t[_CALL_ID] = cid             # this call, and no other, gets the reply
                                t[_WAITS_ON] = dst
                                t[_MSGS_OUT] += 1
                                d[_MSGS_IN] += 1
                                i = tp[0]                  # trace: call
                                tb[i] = t0
                                tb[i + 1] = _EV_CALL
                                tb[i + 2] = tid
                                tb[i + 3] = dst
                                i += 4
                                tp[0] = i if i < tl else 0
                                if sc.c is not None:
                                    self._timer_add(t, sc.c)
                                if d[_PRIO] < t[_PRIO]:
                                    self._lend(d, t[_PRIO])  # the server serves at our priority
                                if d[_STATE] == _RECV:
                                    # The server is waiting: hand the message over and
                                    # run it now if it is not of lower priority.
                                    if d[_TIMER_POS] >= 0:
                                        self._timer_del(d)
                                    d[_VALUE] = (cid, sc.b)
                                    t[_STATE] = _CALL_HELD
                                    if d[_PRIO] >= t[_PRIO]:
                                        d[_STATE] = _READY
                                        nxt = d
                                    else:
                                        self._ready(d)
                                    break
                                if self._enqueue(d, ~cid, sc.b):
                                    t[_STATE] = _CALL_QUEUED
                                    break
                                t[_MSGS_OUT] -= 1
                                d[_MSGS_IN] -= 1
                                if t[_TIMER_POS] >= 0:
                                    self._timer_del(t)
                                self._fail(t, Full(dst))
                        elif op == _OP_RECV:
                            v = None
                            if t[_NOTES] or t[_EXTRA] is not None:
                                v = self._kernel_message(t)   # notification bits first
                            if v is not None:
                                pass
                            elif t[_MBOX_COUNT]:
                                # Take the oldest message from the ring.
                                h = t[_MBOX_HEAD]
                                i = _MBOX + 2 * h
                                s = t[i]
                                v = (s if s > 0 else ~s, t[i + 1])
                                t[i] = None
                                t[i + 1] = None
                                h += 1
                                t[_MBOX_HEAD] = 0 if _MBOX + 2 * h >= len(t) else h
                                t[_MBOX_COUNT] -= 1
                                if s < 0:              # a call: its sender now awaits the reply
                                    self._now_awaits_reply(t, ~s)
                                if t[_EXTRA] is not None and t[_EXTRA][_X_ROOM_WAITERS]:
                                    self._room(t)      # a sender waited for this room
                                tr.log(_EV_RECV, t[_TID], v[0] & TID_MASK)
                            else:
                                v = sc.a               # the timeout
                                if v == 0:
                                    self._fail(t, Timeout("recv"))
                                else:                  # nothing there: wait
                                    t[_STATE] = _RECV
                                    t[_WAITS_ON] = None
                                    if v is not None:
                                        self._timer_add(t, v)
                                    break
                        elif op == _OP_REPLY:
                            dst = sc.a
                            try:
                                c = slots[dst & _SLOT_MASK]
                                if c[_CALL_ID] != dst or c[_STATE] != _CALL_HELD or c[_WAITS_ON] != t[_TID]:
                                    c = None
                            except Exception:
                                c = None
                            if c is None:
                                v = False              # that call gave up, or its caller died
                            else:
                                if c[_TIMER_POS] >= 0:
                                    self._timer_del(c)
                                c[_VALUE] = sc.b
                                c[_STATE] = _READY
                                p = c[_PRIO]               # append to its ready list
                                c[_NEXT_READY] = None
                                n = rt[p]
                                if n is None:
                                    rh[p] = c
                                else:
                                    n[_NEXT_READY] = c
                                rt[p] = c
                                if p > self._maxp:
                                    self._maxp = p
                                t[_MSGS_OUT] += 1
                                c[_MSGS_IN] += 1
                                i = tp[0]                  # trace: reply
                                tb[i] = t0
                                tb[i + 1] = _EV_REPLY
                                tb[i + 2] = t[_TID]
                                tb[i + 3] = c[_TID]
                                i += 4
                                tp[0] = i if i < tl else 0
                                v = True
                                if t[_EXTRA] is not None and t[_EXTRA][_X_BASE_PRIO] is not None:
                                    self._unlend(t)        # back to what it is owed
                        else:
                            v = self._other(t, op, sc)
                            if v is blocked:
                                break
                        if t[_STATE] == _THROW:        # the syscall failed: throw its error
                            throw = True
                            v = t[_VALUE]
                            t[_VALUE] = None
                            t[_STATE] = _RUN
                        burst -= 1
                        if burst == 0:                 # let the others run too
                            t[_VALUE] = v
                            t[_STATE] = _THROW if throw else _READY
                            self._ready_keep(t)
                            break
                except StopIteration:
                    self._end(t, "normal", EV_EXIT)
                except KeyboardInterrupt as e:
                    if in_task:                # raised inside the task: its frame is gone
                        self._fault(t, e)
                    elif t[_STATE] == _RUN:    # raised in kernel code: the task lives on
                        t[_VALUE] = v
                        self._ready(t)
                    raise e                    # (the native emitter has no bare raise)
                except BaseException as e:     # MemoryError, SystemExit...: contained
                    if not in_task and isinstance(e, MemoryError) and hasattr(sc, "op"):
                        # The kernel ran out of memory serving the call (a timer, a
                        # waiter list): the call fails with it, the task lives on.
                        self._interrupt(t, e)
                    else:
                        if not in_task and not hasattr(sc, "op"):
                            e = TypeError("task yielded a %s, not a syscall" % type(sc).__name__)
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
                if dt > t[_MAX_SLICE]:
                    t[_MAX_SLICE] = dt
                    if dt > self._slow_us:
                        tr.log(EV_SLOW, t[_TID], dt // 1000)
                if measure_all or measured:
                    n = alloc()
                    m = n - m0
                    m0 = n
                    if m > 0:
                        m += t[_HEAP_B]
                        if m >= 0x100000:      # carry whole MiB: stays a small int
                            t[_HEAP_MB] += m >> 20
                            m &= 0xFFFFF
                        t[_HEAP_B] = m
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
        self._flags[0] = True

    def _sys_pass(self, t, sc):
        self._ready(t)
        return BLOCKED

    def _sys_self(self, t, sc):
        return t[_TID]

    def _other(self, t, op, sc):
        # The less frequent system calls, each in the part it belongs to.
        f = self._OPS[op] if 0 <= op < len(self._OPS) else None
        if f is None:
            self._fail(t, TypeError("unknown syscall %r" % (op,)))
            return None
        return f(self, t, sc)

    # --- ready lists ------------------------------------------------------------------

    def _ready_keep(self, t):
        # Queue a task whose state (_THROW) and value were already set.
        p = t[_PRIO]
        t[_NEXT_READY] = None
        tail = self._rt[p]
        if tail is None:
            self._rh[p] = t
        else:
            tail[_NEXT_READY] = t
        self._rt[p] = t
        if p > self._maxp:
            self._maxp = p

    def _ready(self, t):
        t[_STATE] = _READY
        self._ready_keep(t)

    def _unready(self, t):
        # Take a queued task out of its ready list (rare: its priority changes).
        p = t[_PRIO]
        prev, cur = None, self._rh[p]
        while cur is not None and cur is not t:
            prev, cur = cur, cur[_NEXT_READY]
        if cur is None:
            return False
        if prev is None:
            self._rh[p] = t[_NEXT_READY]
        else:
            prev[_NEXT_READY] = t[_NEXT_READY]
        if self._rt[p] is t:
            self._rt[p] = prev
        t[_NEXT_READY] = None
        return True

    def _fail(self, t, exc):
        # A syscall failed: the task gets exc thrown in when it next runs.
        t[_VALUE] = exc
        t[_STATE] = _THROW

    def _wake_fail(self, t, exc):
        if t[_TIMER_POS] >= 0:
            self._timer_del(t)
        t[_VALUE] = exc
        t[_STATE] = _THROW
        self._ready_keep(t)

    def _wake(self, t, v):
        if t[_TIMER_POS] >= 0:
            self._timer_del(t)
        t[_VALUE] = v
        self._ready(t)

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

    def _ext(self, t):
        x = t[_EXTRA]
        if x is None:
            x = t[_EXTRA] = [None, None, False, None, None, None, False]
        return x

    # --- idle -----------------------------------------------------------------------

    def _idle(self):
        # Nothing is ready. Sleep until the next deadline (or a short while, to look at
        # the interrupt ring). False when no task can ever become ready again.
        if self._flags[1]:
            return True
        if self._heap:
            delay = ticks_diff(self._heap[0][_DEADLINE], ticks_ms())
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
            delay = ticks_diff(self._heap[0][_DEADLINE], ticks_ms()) if self._heap else delay
        if delay > 0:
            self._idle_fn(min(delay, _IDLE_MAX_MS))
        self._idle_us += ticks_diff(ticks_us(), t0)
        return True


# op -> the method that serves it ("_sys_" + its name); call, recv and reply are in run().
Kernel._OPS = [getattr(Kernel, "_sys_" + n, None) for n in NAMES]
