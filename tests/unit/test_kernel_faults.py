# Kernel faults: containment, fault records, MemoryError, quotas, and the kernel
# serving on through a thousand crashes.
import json
import sys

import kernel
from kernel import recv, reply, call, register, lookup, sleep, send, monitor, KERNEL, Dead
from kernel import port
from unitutil import MICROPYTHON


def echo_server():
    yield register("echo")
    while True:
        s, m = yield recv()
        yield reply(s, m)


def test_fault_is_recorded_with_traceback_and_contained():
    k = kernel.Kernel()

    def faulty():
        yield sleep(1)
        raise ValueError("sensor returned garbage")

    tid = k.spawn(faulty, name="sensor")
    out = []

    def client():
        e = yield lookup("echo")
        yield sleep(5)
        out.append((yield call(e, "still here")))

    k.spawn(echo_server)
    k.spawn(client)
    assert k.run() == "idle"
    assert out == ["still here"]
    f = k.faults()[-1]
    assert f["tid"] == tid and f["name"] == "sensor"
    assert f["type"] == "ValueError" and f["text"] == "sensor returned garbage"
    assert "faulty" in f["traceback"] and "ValueError" in f["traceback"]
    assert tid not in k.tasks()
    assert [e for e in k.trace_events() if e[1] == "fault" and e[2] == tid]


def test_thousand_faulting_tasks_in_a_row_kernel_still_serves():
    k = kernel.Kernel()
    served = []

    def crasher(i):
        yield sleep(0)
        if i % 3 == 0:
            raise RuntimeError(i)
        if i % 3 == 1:
            {}["missing"]
        1 // 0

    def client():
        e = yield lookup("echo")
        for i in range(1000):
            yield kernel.spawn(crasher, i)
            if i % 100 == 0:
                served.append((yield call(e, i)))
        yield sleep(5)
        served.append((yield call(e, "end")))

    k.spawn(echo_server)
    k.spawn(client)
    assert k.run() == "idle"
    assert served == list(range(0, 1000, 100)) + ["end"]
    assert k.stats()["faults"] == 1000
    assert k.stats()["tasks"] == 1         # only the echo server is left
    assert len(k.faults()) <= 16           # the fault log is bounded


def test_memory_error_in_a_task_is_contained():
    k = kernel.Kernel()
    out = []

    def greedy():
        yield sleep(0)
        # far beyond any heap: MemoryError (a 32-bit port cannot even take 1 << 40 as a size)
        hog = bytearray(1 << (40 if sys.maxsize > 1 << 32 else 29))
        out.append(len(hog))

    g = k.spawn(greedy)

    def watcher():
        yield monitor(g)
        s, m = yield recv()
        out.append(m)
        e = yield lookup("echo")
        out.append((yield call(e, "ok after OOM")))

    k.spawn(echo_server)
    k.spawn(watcher)
    k.run()
    assert out == [("down", g, "fault:MemoryError"), "ok after OOM"]
    assert k.faults()[-1]["type"] == "MemoryError"


def test_heap_accounting_counts_task_allocations():
    if not port.cheap_alloc_counter():
        return                             # CPython: the counter reads zero by design
    k = kernel.Kernel()

    def allocator():
        keep = []
        for _ in range(10):
            keep.append(bytearray(1000))
            yield sleep(0)
        yield recv(timeout=1000)

    tid = k.spawn(allocator)

    def stopper():
        yield sleep(30)
        k.stop()

    k.spawn(stopper)
    k.run()
    heap = k.task_info(tid)["heap"]
    assert 10000 <= heap < 20000, heap


def test_yielding_a_non_syscall_is_a_fault():
    k = kernel.Kernel()

    def confused():
        yield "not a syscall"

    tid = k.spawn(confused)
    k.run()
    f = k.faults()[-1]
    assert f["tid"] == tid and f["type"] == "TypeError"


def test_uncaught_ipc_error_is_a_fault_of_the_task():
    k = kernel.Kernel()

    def careless():
        yield send(123456, "nobody")      # raises Dead, not caught

    tid = k.spawn(careless)
    k.run()
    assert k.faults()[-1]["type"] == "Dead"


def test_snapshot_is_json_serialisable():
    k = kernel.Kernel()

    def crash():
        yield sleep(0)
        raise OSError(5)

    k.spawn(echo_server)
    k.spawn(crash)
    k.run()
    snap = k.snapshot()
    text = json.dumps(snap)
    back = json.loads(text)
    assert back["tasks"][0]["name"] == "echo_server"
    assert back["tasks"][0]["names"] == ["echo"]
    assert back["faults"][0]["type"] == "OSError"
    for key in ("tid", "name", "state", "waits", "prio", "mbox", "mbox_cap", "msgs_in",
                "msgs_out", "slices", "cpu_us", "max_slice_us", "heap", "faults"):
        assert key in back["tasks"][0], key
