"""Kernel benchmark: runs bench/kernel_bench_mp.py on the MicroPython unix port and turns
its figures into rows with the issue's goals, all ratios from that one run.

    python -m bench.kernel_bench
"""
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def micropython():
    exe = os.path.join(os.path.dirname(sys.executable), "micropython")
    return exe if os.path.exists(exe) else shutil.which("micropython")


def measure(n=20000):
    env = dict(os.environ, MICROPYPATH=ROOT + os.pathsep + ".frozen")
    out = subprocess.run([micropython(), os.path.join(ROOT, "bench", "kernel_bench_mp.py"), str(n)],
                         capture_output=True, text=True, check=True, cwd=ROOT, env=env, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def spread(m, num, den):
    """The ratio num/den in each interleaved round: '(rounds 18.9-21.3x)'."""
    r = m.get("rounds")
    if not r:
        return ""
    xs = [a / b for a, b in zip(r[num], r[den])]
    return " (rounds %.1f-%.1fx)" % (min(xs), max(xs))


def spread_us(m, key):
    r = m.get("rounds", {}).get(key)
    return " (rounds %.3g-%.3g us)" % (min(r), max(r)) if r else ""


def rows(m=None):
    # Each row: dict(name, value, unit, goal, ok). Figures are the best of interleaved
    # rounds; the goal column shows the ratio's range over the rounds beside it.
    m = m or measure()
    floor_x = m["kernel_us"] / m["floor_us"]
    asyncio_x = m["asyncio_us"] / m["kernel_us"]
    many_x = m["kernel_1000_us"] / m["kernel_us"]
    return [
        dict(name="call/reply round trip through the kernel", value=m["kernel_us"], unit="us",
             goal="<= 15x floor: %.1fx%s" % (floor_x, spread(m, "kernel_us", "floor_us")), ok=floor_x <= 15),
        dict(name="  floor: two bare generators, send() there and back", value=m["floor_us"],
             unit="us", goal=spread_us(m, "floor_us").strip(), ok=None),
        dict(name="  peer: two asyncio tasks ping-pong via Events", value=m["asyncio_us"], unit="us",
             goal="kernel >= 25x faster: %.1fx%s" % (asyncio_x, spread(m, "asyncio_us", "kernel_us")),
             ok=asyncio_x >= 25),
        dict(name="call/reply round trip, 1000 idle tasks present", value=m["kernel_1000_us"],
             unit="us", goal="<= 1.2x the 2-task figure: %.2fx%s" % (many_x, spread(m, "kernel_1000_us", "kernel_us")),
             ok=many_x <= 1.2),
        dict(name="heap per idle task (4-slot mailbox)", value=m["task_bytes"], unit="B",
             goal="<= 400 B", ok=m["task_bytes"] <= 400),
        dict(name="  heap per idle asyncio task", value=m["asyncio_task_bytes"], unit="B",
             goal="", ok=None),
    ]


if __name__ == "__main__":
    from bench.run import print_table

    print_table("kernel (MicroPython unix port)", rows())
