"""Deploy benchmark: `mpk deploy` against `mpremote fs cp -r`, on fresh virtual boards.

Measured in one run, each command timed as a user runs it (a fresh process):

    mpk deploy, first (whole firmware)      mpremote fs cp -r, first copy
    mpk deploy, nothing changed             mpremote fs cp -r, repeat (unchanged tree)
    mpk deploy, one file changed

Both copy the same tree: what `mpk build` makes (the compiled kernel/ servers/ boards/
firmware/ plus boot.py and main.py). Goals: a no-change redeploy at least 5x faster than
mpremote's repeat copy and under 1.5 s; a one-file redeploy under 2 s; the first deploy at
least 3x faster than mpremote's first copy (host_tools/transfer.py: frames streamed to a
receiver on the board, against mpremote's one exec per 256-byte chunk).

    python -m bench.deploy_bench          # prints the table; rows() returns the results
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("kernel", "servers", "boards", "hal", "firmware")


def _run(args, env=None):
    e = dict(os.environ)
    e.pop("MPK_PORT", None)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    if env:
        e.update(env)
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, cwd=str(ROOT), env=e, timeout=600)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(args[:4]), (p.stderr or p.stdout).strip()[-300:]))
    return dt, p.stdout


def _mpk(*args):
    return _run([sys.executable, "-m", "host_tools.cli", *args])


def _mpremote(port, *args):
    return _run([sys.executable, "-m", "mpremote", "connect", port, *args])


def _copy_project(dst):
    for d in SOURCES:
        if (ROOT / d).is_dir():
            shutil.copytree(ROOT / d, dst / d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dst


def _touch_one(project):
    for d in ("kernel", "servers", "boards", "hal", "firmware"):
        for f in sorted((project / d).rglob("*.py")):
            if f.name != "boot.py":
                # a change the compiled file shows (a comment would leave the .mpy as it was)
                n = f.read_text().count("BENCH_CHANGED") + 1
                f.write_text(f.read_text() + "\nBENCH_CHANGED_%d = %d\n" % (n, n))
                return f.relative_to(project).as_posix()
    raise RuntimeError("no source file to change")


def _pad_project(project, n=40, size=3000):
    """Add n generated server modules: a tree the size of the complete system."""
    d = project / "servers" / "bench_fill"
    d.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = "".join("def op_%d_%d(x):\n    return x + %d\n" % (i, j, j) for j in range(size // 40))
        (d / ("srv%02d.py" % i)).write_text(body)


def _virtual_board(flash):
    from host_tools.sim import VirtualBoard

    return VirtualBoard(flash=flash, board="pico")


ROUNDS = 3


def wait_for_console(port, timeout=120):
    """Until the firmware's console server answers the JSON-mode "hello": the system is up.
    (Not `mpk ps`, whose Ctrl-C fallback would interrupt a firmware still booting.)"""
    import serial
    from host_tools import console_protocol as cp

    with serial.Serial(port, timeout=0.1) as s:
        deadline, rid, got = time.monotonic() + timeout, 0, b""
        while time.monotonic() < deadline:
            rid += 1
            s.write(cp.encode_request(rid, "hello"))
            end = time.monotonic() + 1
            while time.monotonic() < end:
                got = (got + s.read(4096))[-4096:]
                if b'"ok": true' in got:
                    return
    raise RuntimeError("the firmware's console on %s did not answer within %d s" % (port, timeout))


def _spread(xs, fmt="%.2f"):
    return ("rounds " + fmt + "-" + fmt) % (min(xs), max(xs)) if len(xs) > 1 else ""


def scenario(project, work, label, make_board=_virtual_board, after_mpk=None, after_mpremote=None):
    """Time the steps on two fresh boards (make_board(flash path) -> a board to start), one
    for mpk and one for mpremote, both up at once: the first deploy and the first copy,
    then ROUNDS interleaved rounds of (mpk no-change deploy, mpremote repeat copy, mpk
    one-file deploy), each figure the best of its rounds, with the spread. Deploys do not
    wait for the firmware (--wait 0); the boot is waited for untimed, before the next step.
    after_mpk(board) / after_mpremote(board, stage) run on each board before it stops.
    Returns result rows."""
    def deploy(board):
        dt, _ = _mpk("deploy", "--wait", "0", "--port", board.port, "--root", str(project))
        wait_for_console(board.port)
        return dt

    with make_board(str(work / ("mpk-%s.img" % label))) as a, \
            make_board(str(work / ("mpremote-%s.img" % label))) as b:
        first = deploy(a)
        # The same files, laid out as mpk lays them out, for mpremote.
        build = next(d for d in sorted((project / "build").iterdir()) if (d / "tree").is_dir())
        stage = work / ("stage-" + label)
        shutil.copytree(build / "tree", stage / "mpk" / "a")
        for f in ("boot.py", "main.py"):
            shutil.copy(build / "root" / f, stage / f)
        nfiles = sum(1 for p in stage.rglob("*") if p.is_file())
        nbytes = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file())
        args = ["fs", "cp", "-r", str(stage / "boot.py"), str(stage / "main.py"), str(stage / "mpk"), ":"]
        mp_first, _ = _mpremote(b.port, *args)
        noop, repeat, one = [], [], []
        for _ in range(ROUNDS):
            noop.append(deploy(a))
            repeat.append(_mpremote(b.port, *args)[0])
            changed = _touch_one(project)
            one.append(deploy(a))
        if after_mpk:
            after_mpk(a)
        if after_mpremote:
            after_mpremote(b, stage)
    tag = "%s, %d files, %.0f KB" % (label, nfiles, nbytes / 1024)
    ratios = [r / n for r, n in zip(repeat, noop)]
    return [
        {"name": "[%s] mpk deploy: first" % tag, "seconds": first,
         "goal": ">= 3x faster than mpremote first copy (%.2f s): %.1fx" % (mp_first, mp_first / first),
         "ok": mp_first >= 3 * first},
        {"name": "[%s] mpk deploy: nothing changed" % tag, "seconds": min(noop),
         "goal": "< 1.5 s and >= 5x faster than mpremote repeat: %.1fx (%s)" % (
             min(repeat) / min(noop), _spread(ratios, "%.1fx")),
         "ok": min(noop) < 1.5 and min(repeat) >= 5 * min(noop)},
        {"name": "[%s] mpk deploy: one file changed" % tag, "seconds": min(one),
         "goal": "< 2 s (%s; %s)" % (changed, _spread(one, "%.2f s")), "ok": min(one) < 2.0},
        {"name": "[%s] mpremote fs cp -r: first copy" % tag, "seconds": mp_first, "goal": "", "ok": None},
        {"name": "[%s] mpremote fs cp -r: repeat, unchanged" % tag, "seconds": min(repeat),
         "goal": _spread(repeat, "%.2f s"), "ok": None},
    ]


def rows(full_size=True):
    """Run the benchmark; returns a list of dicts: name, seconds, goal, ok.

    Rows for the firmware as it is in this checkout, and (full_size) for the same
    firmware padded with generated server modules to the size of the complete system.
    """
    work = Path(tempfile.mkdtemp(prefix="mpk-bench-"))
    try:
        out = scenario(_copy_project(work / "project"), work, "firmware")
        if full_size:
            big = _copy_project(work / "project-full")
            _pad_project(big)
            out += scenario(big, work, "full-size")
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def format_rows(rs):
    w = max(len(r["name"]) for r in rs)
    lines = ["%-*s  %8s  %s" % (w, "deploy benchmark (virtual boards)", "seconds", "goal")]
    for r in rs:
        mark = "" if r["ok"] is None else ("  ok" if r["ok"] else "  MISSED")
        lines.append("%-*s  %8.3f  %s%s" % (w, r["name"], r["seconds"], r["goal"], mark))
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_rows(rows()))
