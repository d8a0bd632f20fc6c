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


def rows(m=None):
    # Each row: dict(name, value, unit, goal, ok).
    m = m or measure()
    floor_x = m["kernel_us"] / m["floor_us"]
    asyncio_x = m["asyncio_us"] / m["kernel_us"]
    many_x = m["kernel_1000_us"] / m["kernel_us"]
    return [
        dict(name="call/reply round trip through the kernel", value=m["kernel_us"], unit="us",
             goal="<= 15x floor: %.1fx" % floor_x, ok=floor_x <= 15),
        dict(name="  floor: two bare generators, send() there and back", value=m["floor_us"],
             unit="us", goal="", ok=None),
        dict(name="  peer: two asyncio tasks ping-pong via Events", value=m["asyncio_us"], unit="us",
             goal="kernel >= 25x faster: %.1fx" % asyncio_x, ok=asyncio_x >= 25),
        dict(name="call/reply round trip, 1000 idle tasks present", value=m["kernel_1000_us"],
             unit="us", goal="<= 1.2x the 2-task figure: %.2fx" % many_x, ok=many_x <= 1.2),
        dict(name="heap per idle task (4-slot mailbox)", value=m["task_bytes"], unit="B",
             goal="<= 400 B", ok=m["task_bytes"] <= 400),
        dict(name="  heap per idle asyncio task", value=m["asyncio_task_bytes"], unit="B",
             goal="", ok=None),
    ]


if __name__ == "__main__":
    from bench.run import print_table

    print_table("kernel (MicroPython unix port)", rows())
