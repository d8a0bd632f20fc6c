# The few things that differ between MicroPython and CPython, so the kernel runs unchanged
# on both: tick arithmetic, heap counters, sleeping, exception formatting.
import gc
import sys
import time

MICROPYTHON = sys.implementation.name == "micropython"

if MICROPYTHON:
    import micropython  # noqa: F401  (@micropython.native below is read by the compiler)
    from time import ticks_ms, ticks_us, ticks_diff, ticks_add, sleep_ms  # noqa: F401

    mem_alloc = gc.mem_alloc
    mem_free = gc.mem_free

    def format_exception(exc):
        import io

        buf = io.StringIO()
        sys.print_exception(exc, buf)
        return buf.getvalue()

    def reserve_emergency_buffer(size):
        import micropython

        if hasattr(micropython, "alloc_emergency_exception_buf"):
            micropython.alloc_emergency_exception_buf(size)

else:
    class micropython:
        # `@micropython.native` compiles a function to machine code on MicroPython (the
        # compiler reads the decorator itself); on CPython it changes nothing.
        @staticmethod
        def native(fn):
            return fn

    # CPython: same wraparound arithmetic as MicroPython (30-bit tick period), so the
    # kernel's deadline code is exercised the same way on both.
    _PERIOD = 1 << 30
    _HALF = _PERIOD >> 1
    _MASK = _PERIOD - 1

    def ticks_ms():
        return int(time.monotonic() * 1000) & _MASK

    def ticks_us():
        return int(time.perf_counter() * 1000000) & _MASK

    def ticks_diff(a, b):
        return ((a - b + _HALF) & _MASK) - _HALF

    def ticks_add(a, delta):
        return (a + delta) & _MASK

    def sleep_ms(ms):
        time.sleep(ms / 1000)

    def mem_alloc():
        return 0  # CPython has no cheap allocation counter; accounting reads zero

    def mem_free():
        return 0

    def format_exception(exc):
        import traceback

        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    def reserve_emergency_buffer(size):
        pass


def collect():
    if MICROPYTHON:
        gc.collect()


def _zero():
    return 0


def alloc_counter():
    # A function returning a counter whose deltas are bytes allocated. micropython's
    # mem_total (where the port has it) is O(1); gc.mem_alloc walks the heap.
    if MICROPYTHON:
        import micropython

        return getattr(micropython, "mem_total", None) or gc.mem_alloc
    return _zero


def cheap_alloc_counter():
    if MICROPYTHON:
        import micropython

        return hasattr(micropython, "mem_total")
    return False
