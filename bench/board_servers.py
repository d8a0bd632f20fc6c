# Board side of bench/servers_bench.py: runs on the virtual board (copied to /hiltests
# with the HIL modules) and prints one JSON line with the measurements.
import json
import kernel
import hil
from kernel import port
import hal
from servers.api import gpio, i2c
from servers.lib.base import serve

N = 200


def _median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def _p95(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, len(xs) * 95 // 100)]


def irq_latency():
    # An outside edge on GP14 (the virtual board's driver) to the subscriber's recv.
    import simboard
    out = []

    def body():
        g = gpio.client()
        yield from g.claim("GP14", "in")
        yield from g.subscribe("GP14", "both")
        level = 0
        for _ in range(N):
            level = 1 - level
            simboard.drive("GP14", level)          # the IRQ stamps ticks_us() now
            _, ev = yield kernel.recv(1000)
            out.append(port.ticks_diff(port.ticks_us(), ev[3]))
    hil.run(body, servers=("gpio",), timeout_ms=20000)
    return out


def i2c_ratio():
    res = {}

    def body():
        c = i2c.client()
        yield from c.readmem(0x48, 0, 2)            # bus opened
        t0 = port.ticks_us()
        for _ in range(N):
            yield from c.readmem(0x48, 0, 2)
        res["server"] = port.ticks_diff(port.ticks_us(), t0) / N
        import boards
        bus = hal.i2c(boards.current(), 0)
        t0 = port.ticks_us()
        for _ in range(N):
            bus.readfrom_mem(0x48, 0, 2)
        res["direct"] = port.ticks_diff(port.ticks_us(), t0) / N
    hil.run(body, servers=("i2c",), timeout_ms=20000)
    return res


class Crashy:
    def op_crash(self, sender):
        raise RuntimeError("crash on request")

    def op_ping(self, sender):
        return "pong"


CRASHY = {"crash": ((), "never", ()), "ping": ((), "pong", ())}


def crashy():
    yield from serve(CRASHY, Crashy(), "crashy")


def restart_time(n=30):
    out = []

    def body():
        for _ in range(n):
            tid = yield kernel.lookup("crashy")
            t0 = port.ticks_us()
            try:
                yield kernel.call(tid, ("crash",))
            except kernel.Dead:
                pass
            new = yield kernel.lookup("crashy", 2000)   # the restarted incarnation
            out.append(port.ticks_diff(port.ticks_us(), t0))
            assert new != tid
            assert (yield kernel.call(new, ("ping",))) == "pong"
    spec = hil.spec({"name": "crashy", "fn": crashy}, intensity=10000, backoff_ms=0)
    hil.run(body, servers=(spec,), timeout_ms=30000)
    return out


def main():
    lat = irq_latency()
    r = i2c_ratio()
    rt = restart_time()
    print(json.dumps({"irq_us_median": _median(lat), "irq_us_p95": _p95(lat),
                      "i2c_server_us": r["server"], "i2c_direct_us": r["direct"],
                      "restart_us_median": _median(rt), "restart_us_p95": _p95(rt)}))
