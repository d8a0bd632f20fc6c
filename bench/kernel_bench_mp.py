# Kernel benchmark, run on the MicroPython unix port by bench/kernel_bench.py and on the
# emulated RP2040 by bench/emulated_bench.py. Every figure comes from this one process, so
# ratios compare like with like. Prints one JSON object: microseconds per round trip and
# bytes per idle task.
#
#   kernel_bench_mp.py [N [IDLE [ASYNC_N]]]   round trips, idle tasks beside them (also the
#                                               count for bytes per task), asyncio round trips
import gc
import json
import sys
import time

import asyncio
import kernel
from kernel import recv, reply, call

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
IDLE = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
ASYNC_N = int(sys.argv[3]) if len(sys.argv) > 3 else N
REPEATS = 5


def floor_round_trip():
    # Two bare generators passing a value back and forth with send(): the cheapest
    # possible hand-over between two Python coroutines.
    def ping():
        v = 0
        while True:
            v = yield v + 1

    def pong():
        v = 0
        while True:
            v = yield v

    a = ping()
    b = pong()
    a.send(None)
    b.send(None)
    v = 0
    t0 = time.ticks_us()
    for _ in range(N):
        v = a.send(v)
        v = b.send(v)
    return time.ticks_diff(time.ticks_us(), t0) / N


def server():
    while True:
        s, m = yield recv()
        yield reply(s, m)


def client(srv, n):
    for i in range(n):
        yield call(srv, i)


def idle_task():
    yield recv()


def kernel_round_trip(idle_tasks=0):
    k = kernel.Kernel()
    for _ in range(idle_tasks):
        k.spawn(idle_task, mailbox=4)
    k.run()                              # the idle ones now wait in recv
    srv = k.spawn(server)
    k.spawn(client, srv, N)
    t0 = time.ticks_us()
    k.run()
    return time.ticks_diff(time.ticks_us(), t0) / N


def asyncio_round_trip():
    # The peer: two asyncio tasks ping-ponging through a pair of Events.
    n = ASYNC_N
    result = []

    async def main():
        e1 = asyncio.Event()
        e2 = asyncio.Event()

        async def ping():
            for _ in range(n):
                e1.set()
                await e2.wait()
                e2.clear()

        async def pong():
            for _ in range(n):
                await e1.wait()
                e1.clear()
                e2.set()

        t0 = time.ticks_us()
        await asyncio.gather(ping(), pong())
        result.append(time.ticks_diff(time.ticks_us(), t0) / n)

    asyncio.run(main())
    return result[0]


def bytes_per_idle_task(count=IDLE):
    k = kernel.Kernel()
    k.run()                              # drops the last benchmark's kernel (running_kernel)
    gc.collect()
    before = gc.mem_alloc()
    for _ in range(count):
        k.spawn(idle_task, mailbox=4)
    k.run()                              # each task started and blocked in recv
    gc.collect()
    FREE.append(gc.mem_free())           # what is left with them all waiting
    return (gc.mem_alloc() - before) / count


FREE = []


def bytes_per_asyncio_task(count=IDLE):
    result = []

    async def waiter(ev):
        await ev.wait()

    async def main():
        ev = asyncio.Event()
        gc.collect()
        before = gc.mem_alloc()
        tasks = [asyncio.create_task(waiter(ev)) for _ in range(count)]
        await asyncio.sleep_ms(0)        # each task started and waiting on the Event
        gc.collect()
        result.append((gc.mem_alloc() - before) / count)
        ev.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    return result[0]


# Interleaved rounds: each round measures every figure once, so a burst of load on the
# machine lands on all of them alike; each figure is the best of its rounds, and every
# round is reported too (the spread, and the ratios within each round).
rounds = {"floor_us": [], "kernel_us": [], "kernel_1000_us": [], "asyncio_us": []}
for _ in range(REPEATS):
    rounds["floor_us"].append(floor_round_trip())
    rounds["kernel_us"].append(kernel_round_trip())
    rounds["kernel_1000_us"].append(kernel_round_trip(IDLE))
    rounds["asyncio_us"].append(asyncio_round_trip())
out = {k: min(v) for k, v in rounds.items()}
out["rounds"] = rounds
out.update({
    "idle": IDLE,
    "task_bytes": bytes_per_idle_task(),
    "free_with_idle": FREE[0],
    "asyncio_task_bytes": bytes_per_asyncio_task(),
    "micropython": "%d.%d.%d" % sys.implementation.version[:3],
})
print(json.dumps(out))
