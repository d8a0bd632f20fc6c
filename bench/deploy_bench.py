"""Deploy benchmark: `mpk deploy` against `mpremote fs cp -r`, on fresh virtual boards.

Measured in one run, each command timed as a user runs it (a fresh process):

    mpk deploy, first (whole firmware)      mpremote fs cp -r, first copy
    mpk deploy, nothing changed             mpremote fs cp -r, repeat (unchanged tree)
    mpk deploy, one file changed

Both copy the same tree: what `mpk build` makes (the compiled kernel/ servers/ boards/
firmware/ plus boot.py and main.py). Goals: a no-change redeploy at least 5x faster than
mpremote's repeat copy and under 1.5 s; a one-file redeploy under 2 s; the first deploy no
slower than mpremote's first copy.

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
SOURCES = ("kernel", "servers", "boards", "firmware")


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
    for d in ("kernel", "servers", "boards", "firmware"):
        for f in sorted((project / d).rglob("*.py")):
            if f.name != "boot.py":
                f.write_text(f.read_text() + "\n# bench: changed\n")
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


def scenario(project, work, label, make_board=_virtual_board, settle=None, after_mpk=None, after_mpremote=None):
    """Time the five steps on fresh boards (make_board(flash path) -> a board to start);
    settle(board), if given, waits (untimed) after each deploy until the firmware is up;
    after_mpk(board) / after_mpremote(board, stage) run on each board before it stops.
    Returns result rows."""
    res = {}
    settle = settle or (lambda board: None)
    with make_board(str(work / ("mpk-%s.img" % label))) as vb:
        res["first"], _ = _mpk("deploy", "--port", vb.port, "--root", str(project))
        settle(vb)
        res["noop"], _ = _mpk("deploy", "--port", vb.port, "--root", str(project))
        settle(vb)
        changed = _touch_one(project)
        res["one"], _ = _mpk("deploy", "--port", vb.port, "--root", str(project))
        settle(vb)
        if after_mpk:
            after_mpk(vb)
    # The same files, laid out as mpk lays them out, for mpremote.
    build = next(d for d in sorted((project / "build").iterdir()) if (d / "tree").is_dir())   # what mpk built
    stage = work / ("stage-" + label)
    shutil.copytree(build / "tree", stage / "mpk" / "a")
    for f in ("boot.py", "main.py"):
        shutil.copy(build / "root" / f, stage / f)
    nfiles = sum(1 for p in stage.rglob("*") if p.is_file())
    nbytes = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file())
    with make_board(str(work / ("mpremote-%s.img" % label))) as vb:
        args = ["fs", "cp", "-r", str(stage / "boot.py"), str(stage / "main.py"), str(stage / "mpk"), ":"]
        res["mp_first"], _ = _mpremote(vb.port, *args)
        res["mp_repeat"], _ = _mpremote(vb.port, *args)
        if after_mpremote:
            after_mpremote(vb, stage)
    tag = "%s, %d files, %.0f KB" % (label, nfiles, nbytes / 1024)
    return [
        {"name": "[%s] mpk deploy: first" % tag, "seconds": res["first"],
         "goal": "<= mpremote first copy (%.2f s)" % res["mp_first"], "ok": res["first"] <= res["mp_first"]},
        {"name": "[%s] mpk deploy: nothing changed" % tag, "seconds": res["noop"],
         "goal": "< 1.5 s and >= 5x faster than mpremote repeat (%.1fx)" % (res["mp_repeat"] / res["noop"]),
         "ok": res["noop"] < 1.5 and res["mp_repeat"] >= 5 * res["noop"]},
        {"name": "[%s] mpk deploy: one file changed" % tag, "seconds": res["one"], "goal": "< 2 s (%s)" % changed,
         "ok": res["one"] < 2.0},
        {"name": "[%s] mpremote fs cp -r: first copy" % tag, "seconds": res["mp_first"], "goal": "", "ok": None},
        {"name": "[%s] mpremote fs cp -r: repeat, unchanged" % tag, "seconds": res["mp_repeat"], "goal": "",
         "ok": None},
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
