"""mpk deploy --live against a plain mpk deploy of the same change, on a board running the
firmware: one server's code changed (servers/adc.py), deployed both ways in interleaved
rounds on the same board. The plain deploy is timed until the new firmware is up (its
console answers: what a user waits for); the live one until the board has answered the
update, grace period included (--grace 1), with every other task still running.

    python -m bench.live_bench
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.deploy_bench import _copy_project
from host_tools.sim import VirtualBoard

ROUNDS = 3
GRACE_S = 1
ADC = "servers/adc.py"


def _deploy(port, project, *more):
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "host_tools.cli", "deploy", "--port", port, "--root", str(project),
                        *more], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("mpk deploy %s failed: %s" % (" ".join(more), p.stderr.strip()))
    return time.monotonic() - t0


def measure(make_board=None, label="unix-port board"):
    work = Path(tempfile.mkdtemp(prefix="mpk-live-bench-"))
    project = _copy_project(work / "project")
    src = (project / ADC).read_text()
    make_board = make_board or (lambda flash: VirtualBoard(flash=flash))
    live, full = [], []
    with make_board(str(work / "flash.img")) as b:
        _deploy(b.port, project)
        for i in range(ROUNDS):
            # a change of the server's code each time (a new constant in the module)
            (project / ADC).write_text(src + "\nLIVE_BENCH_%d = %d\n" % (i, i))
            live.append(_deploy(b.port, project, "--live", "--grace", str(GRACE_S)))
            (project / ADC).write_text(src + "\nFULL_BENCH_%d = %d\n" % (i, i))
            full.append(_deploy(b.port, project))
    until = min(live) - GRACE_S
    return [
        {"name": "[%s] mpk deploy --live: until the new server runs" % label, "seconds": until,
         "goal": "<= a plain deploy of the same change until up (%.2f s): %.1fx; one task restarted, "
                 "the others keep running" % (min(full), min(full) / until), "ok": until <= min(full)},
        {"name": "[%s] mpk deploy --live: until answered (grace %d s)" % (label, GRACE_S), "seconds": min(live),
         "goal": "", "ok": None},
        {"name": "[%s] mpk deploy: until up again (every task restarted)" % label, "seconds": min(full),
         "goal": "", "ok": None},
    ]


def rows():
    out = measure()
    import os

    if os.environ.get("MPK_RP2040_BOOTROM") and os.environ.get("MPK_PICO_FIRMWARE"):
        from host_tools.sim.rp2040 import EmulatedPico

        out += measure(lambda flash: EmulatedPico(flash=flash), "emulated RP2040")
    return out


if __name__ == "__main__":
    for r in rows():
        print("%-60s %7.2f s  %s" % (r["name"], r["seconds"], r["goal"]))
