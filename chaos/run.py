"""`make chaos`: the fault-injection campaign on the MicroPython unix port.

Runs chaos/campaign.py in segments (a fresh system each, a seed each) on several
MicroPython processes at once, adds their counts up, prints the per-class table and
writes build/chaos.json. Exits 1 if any segment had a kernel death, a hang, a lost call,
a wrong reply or a server crash caused by input (or a board reset).

    python -m chaos.run --faults 3400000 --jobs 2
    python -m chaos.run --selftest lost --seconds 8      # the harness finds a broken server
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from rich.console import Console
from rich.table import Table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BAD = ("kernel_deaths", "hangs", "lost_calls", "wrong_replies", "input_crashes", "board_resets",
       "watchdog_resets")
HEAP = "512K"                  # the virtual board's heap, about twice a Pico's free heap


def micropython():
    exe = os.path.join(os.path.dirname(sys.executable), "micropython")
    return exe if os.path.exists(exe) else shutil.which("micropython")


def segment(seed, faults, seconds, selftest=None, only=None):
    """Start one campaign process; returns (Popen, its scratch directory)."""
    d = tempfile.mkdtemp(prefix="mpk-chaos-")
    for sub in ("data", "log"):
        os.mkdir(os.path.join(d, sub))
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests", "unit"), ".frozen"]))
    args = [micropython(), "-X", "heapsize=" + HEAP, os.path.join(ROOT, "chaos", "campaign.py"),
            str(seed), str(faults), str(seconds), selftest or "-", d, ",".join(only) if only else "-"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    return p, d


def result_of(p, d, timeout):
    """The segment's result dict (a kernel death if the process died without one)."""
    last, tail = None, []
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        tail.append("the campaign process did not finish within %d s" % timeout)
    for line in out.splitlines():
        if line.startswith("chaos-result: "):
            last = json.loads(line[len("chaos-result: "):])
        elif not line.startswith("chaos: "):
            tail.append(line)
    shutil.rmtree(d, ignore_errors=True)
    if last is None:
        last = {"kernel_deaths": 1, "faults": {}, "total": 0, "seconds": 0,
                "examples": ["process ended (exit %s) without a result: %s" % (p.returncode, " | ".join(tail[-5:]))]}
    return last


def add(total, r):
    for k, v in r.items():
        if k in ("faults", "restart_causes"):
            d = total.setdefault(k, {})
            for c, n in v.items():
                d[c] = d.get(c, 0) + n
        elif k == "examples":
            total["examples"].extend(v[: max(0, 20 - len(total["examples"]))])
        elif isinstance(v, (int, float)) and k not in ("seed", "rate"):
            total[k] = total.get(k, 0) + v
    total["segments"] = total.get("segments", 0) + 1


def campaign(faults, jobs, seg, seed, seconds=None, selftest=None, only=None, quiet=False):
    """Run segments until `faults` are injected (or, with seconds, one segment per job of
    that length). Returns the summed result."""
    total = {"faults": {}, "examples": []}
    todo = []
    if seconds is not None:
        todo = [(seed + i, 10 ** 9, seconds) for i in range(jobs)]
    else:
        n, i = faults, 0
        while n > 0:
            todo.append((seed + i, min(seg, n), 36000))
            n -= seg
            i += 1
    running = []
    t0 = time.monotonic()
    console = Console(stderr=True)
    while todo or running:
        while todo and len(running) < jobs:
            s, f, secs = todo.pop(0)
            running.append((segment(s, f, secs, selftest, only), secs))
        (p, d), secs = running.pop(0)
        add(total, result_of(p, d, timeout=secs + 600 if seconds is None else secs + 120))
        if not quiet:
            console.print("chaos: %d faults so far, %d segments, %.0f s" % (
                sum(total["faults"].values()), total["segments"], time.monotonic() - t0))
    total["total"] = sum(total["faults"].values())
    total["wall_s"] = round(time.monotonic() - t0, 1)
    total["rate"] = int(total["total"] / max(total["wall_s"], 0.001))
    return total


def table(total):
    t = Table(title="chaos campaign: %d faults in %.0f s (%d faults/s over %d segments)" % (
        total["total"], total["wall_s"], total["rate"], total.get("segments", 0)))
    t.add_column("fault class")
    t.add_column("injected", justify="right")
    t.add_column("per second", justify="right")
    wall = max(total["wall_s"], 0.001)
    for c, n in sorted(total["faults"].items(), key=lambda kv: -kv[1]):
        t.add_row(c, "{:,}".format(n), "{:,.1f}".format(n / wall))
    t.add_section()
    for c, n in sorted(total.get("restart_causes", {}).items(), key=lambda kv: -kv[1]):
        t.add_row("restarts after " + c, "{:,}".format(n), "")
    t.add_section()
    for k in ("kernel_deaths", "hangs", "lost_calls", "wrong_replies", "input_crashes", "board_resets",
              "watchdog_resets", "restarts", "verified", "error_replies"):
        t.add_row(k.replace("_", " "), "{:,}".format(total.get(k, 0)))
    return t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faults", type=int, default=int(os.environ.get("CHAOS_FAULTS", 3400000)))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--segment", type=int, default=500000, help="faults per fresh system")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seconds", type=int, help="instead of --faults: one segment per job, this long")
    ap.add_argument("--selftest", choices=("crash", "hang", "lost", "wrong", "kernel"))
    ap.add_argument("--only", help="comma-separated fault classes (default: all)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "chaos.json"))
    a = ap.parse_args(argv)
    if micropython() is None:
        print("mpk chaos: no MicroPython unix port (make setup installs it)", file=sys.stderr)
        return 2
    total = campaign(a.faults, a.jobs, a.segment, a.seed, a.seconds, a.selftest,
                     a.only.split(",") if a.only else None)
    Console().print(table(total))
    for e in total["examples"][:10]:
        print("  " + e)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(total, f, indent=1)
    bad = {k: total.get(k, 0) for k in BAD if total.get(k, 0)}
    if bad:
        print("chaos: FAILED: %s" % ", ".join("%s %d" % kv for kv in bad.items()))
        return 1
    print("chaos: passed: no kernel death, hang, lost call, wrong reply or crash caused by input")
    return 0


if __name__ == "__main__":
    sys.exit(main())
