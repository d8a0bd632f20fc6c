"""The "emulated RP2040" section of `make bench`: the official Pico firmware on the emulated
chip (host_tools/sim/rp2040), every figure from one run.

On the chip, in µs of emulated time (ticks_us counts emulated cycles, so they approximate
a real 125 MHz Pico): the kernel's call/reply round trip, the bare-generator floor and the
asyncio Event ping-pong (bench/kernel_bench_mp.py, as on the unix port), bytes per idle
task and the heap left beside 300 of them, how long one `mpk top` refresh of the running
firmware takes, and the heap free once the full firmware has booted. From the host, in
wall seconds: mpk deploy first / nothing changed / one file against mpremote fs cp -r of
the same files, on fresh emulated boards.

    python -m bench.emulated_bench
"""
import json
import os
import re
import tempfile
import time
from pathlib import Path

from bench import deploy_bench
from bench.kernel_bench import spread

ROOT = Path(__file__).resolve().parents[1]
ROUND_TRIPS, IDLE, ASYNC_ROUND_TRIPS = 500, 300, 150


def _board(flash):
    from host_tools.sim.rp2040 import EmulatedPico

    return EmulatedPico(flash=flash)


def _heap_after_boot(board, out):
    # The firmware started by the last deploy, up (the scenario waited): Ctrl-C stops it with every
    # task kept (mpremote resume: no soft reset), and the heap it holds is counted.
    _, text = deploy_bench._mpremote(board.port, "resume", "exec", "import gc, kernel\ngc.collect()\n"
                                     "print(gc.mem_free(), len(kernel.running_kernel().tasks()))")
    free, tasks = text.split()[-2:]
    out["heap_free_after_boot"], out["tasks"] = int(free), int(tasks)


def _top_refresh(board, out):
    # mpk top against the running firmware (its console server): six snapshots back to back;
    # one refresh is the time between the first and the last over five.
    _, text = deploy_bench._mpk("top", "--json", "--iterations", "6", "--interval", "0", "--via", "server",
                                "--port", board.port)
    frames = [json.loads(line) for line in text.splitlines() if line.strip()]
    out["top_refresh_s"] = (frames[-1]["t"] - frames[0]["t"]) / (len(frames) - 1)
    out["top_tasks"] = len(frames[-1]["tasks"])


def _kernel_on_chip(board, stage, out):
    # On the board that got the tree by mpremote (the firmware never ran there, so no
    # watchdog was started): the same benchmark script as on the unix port.
    tree = "/mpk/a"
    _, text = deploy_bench._mpremote(
        board.port, "soft-reset", "exec",
        "import sys\nsys.path.insert(0, %r)\nsys.argv[:] = ['bench', '%d', '%d', '%d']"
        % (tree, ROUND_TRIPS, IDLE, ASYNC_ROUND_TRIPS),
        "run", str(ROOT / "bench" / "kernel_bench_mp.py"))
    out.update(json.loads(text.strip().splitlines()[-1]))


def _timed(label, fn):
    t0 = time.monotonic()
    r = fn()
    if os.environ.get("MPK_BENCH_VERBOSE"):
        print("%s: %.1f s" % (label, time.monotonic() - t0))
    return r


def measure():
    work = Path(tempfile.mkdtemp(prefix="mpk-emu-bench-"))
    chip = {}
    deploy_rows = deploy_bench.scenario(
        deploy_bench._copy_project(work / "project"), work, "emulated RP2040", make_board=_board,
        after_mpk=lambda b: _timed("top, heap after boot",
                                   lambda: (_top_refresh(b, chip), _heap_after_boot(b, chip))),
        after_mpremote=lambda b, stage: _timed("kernel on the chip", lambda: _kernel_on_chip(b, stage, chip)))
    return chip, deploy_rows


def rows(measured=None):
    chip, deploy_rows = measured or measure()
    floor_x = chip["kernel_us"] / chip["floor_us"]
    asyncio_x = chip["asyncio_us"] / chip["kernel_us"]
    many_x = chip["kernel_1000_us"] / chip["kernel_us"]
    out = [
        dict(name="call/reply round trip through the kernel", value=chip["kernel_us"], unit="us (emulated)",
             goal="%.1fx the floor%s (goal <= 15x, <= 180 us)" % (floor_x, spread(chip, "kernel_us", "floor_us")),
             ok=floor_x <= 15 and chip["kernel_us"] <= 180),
        dict(name="  floor: two bare generators, send() there and back", value=chip["floor_us"],
             unit="us (emulated)", goal="", ok=None),
        dict(name="  peer: two asyncio tasks ping-pong via Events", value=chip["asyncio_us"], unit="us (emulated)",
             goal="kernel %.1fx faster%s (goal >= 10x)" % (asyncio_x, spread(chip, "asyncio_us", "kernel_us")),
             ok=asyncio_x >= 10),
        dict(name="call/reply round trip, %d idle tasks present" % chip["idle"], value=chip["kernel_1000_us"],
             unit="us (emulated)", goal="%.2fx the 2-task figure" % many_x, ok=None),
        dict(name="heap per idle task (4-slot mailbox)", value=chip["task_bytes"], unit="B",
             goal="goal <= 200 B", ok=chip["task_bytes"] <= 200),
        dict(name="  heap per idle asyncio task", value=chip["asyncio_task_bytes"], unit="B", goal="", ok=None),
        dict(name="heap free beside %d idle tasks" % chip["idle"], value=chip["free_with_idle"] // 1024,
             unit="KB", goal="goal >= 100 KB", ok=chip["free_with_idle"] >= 100 * 1024),
        dict(name="mpk top: one refresh of the firmware's %d tasks (--interval 0)" % chip["top_tasks"],
             value=round(chip["top_refresh_s"], 2), unit="s", goal="goal <= 1 s (top refreshes every second)",
             ok=chip["top_refresh_s"] <= 1.0),
        dict(name="heap free with the full firmware booted (%d tasks)" % chip["tasks"],
             value=chip["heap_free_after_boot"] // 1024, unit="KB", goal="of 236 KB free at the REPL", ok=None),
    ]
    # The deploy figures as ratios to mpremote on the same chip; the goals of the unix-port
    # board's deploy section do not apply to a chip that runs at about 0.15x.
    by = {r["name"].split("] ", 1)[1]: r for r in deploy_rows}
    mp_first = by["mpremote fs cp -r: first copy"]["seconds"]
    mp_repeat = by["mpremote fs cp -r: repeat, unchanged"]["seconds"]
    notes = {"mpk deploy: first": "%.1fx faster than mpremote's first copy" % (mp_first / by["mpk deploy: first"]["seconds"]),
             "mpk deploy: nothing changed": "%.1fx faster than mpremote's repeat" % (
                 mp_repeat / by["mpk deploy: nothing changed"]["seconds"]),
             "mpk deploy: one file changed": by["mpk deploy: one file changed"]["goal"].split("(")[-1].rstrip(")")}
    for r in deploy_rows:
        name = re.sub(r"^\[emulated RP2040, ", "[", r["name"])
        out.append(dict(name=name, value=r["seconds"], unit="s", goal=notes.get(name.split("] ", 1)[1], ""), ok=None))
    return out


if __name__ == "__main__":
    from bench.run import print_table

    print_table("emulated RP2040 (official firmware)", rows())
