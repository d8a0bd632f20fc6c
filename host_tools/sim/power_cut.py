"""Power-loss sweep of `mpk deploy`: cut the virtual board's power at every flash write.

1. record(): a real `mpk deploy` (host_tools/deploy.py) of v3 of a project
   (host_tools/sim/power_cut_project.py) onto a virtual board whose flash already holds
   v1 (tree a) and v2 (tree b, running), with the board's block device logging every
   erase and write (MPK_SIM_FLASH_JOURNAL, see host_tools/sim/board/lfsdev.py), through
   the new firmware's first boot. The flash before it is kept; replaying the journal
   over it must give the flash after it.
2. sweep(): for each write point N, the flash after N writes, and with write N+1 torn, is
   mounted and booted by host_tools/sim/power_check.py on the MicroPython unix port
   (VfsLfs2, the /boot.py on that flash), a batch of points per process.
3. summarize(): every state must boot one whole build, v2 before the switch and v3 from
   it on (never back), and boot.rollback() must only ever go to a whole tree.

    python -m host_tools.sim.power_cut                        # every write point
    python -m host_tools.sim.power_cut --scenario firmware    # this checkout's firmware
    python -m host_tools.sim.power_cut --every 10 --variant built_first
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from host_tools.sim import child, flash_journal, power_cut_project as project
from host_tools.sim.power_cut_variants import VARIANTS, variant

HERE = Path(__file__).resolve().parent
OLD, NEW = "v2", "v3"
BOARD = "pico"
JOURNAL_ENV = "MPK_SIM_FLASH_JOURNAL"


def _quiet(*a):
    pass


def _deploy_and_boot(board, scenario, root, version, hook=None):
    from host_tools import deploy

    board.clear_output()
    deploy.deploy(port=board.port, root=root, log=_quiet, progress=False, _hook=hook)
    _wait_up(board, scenario, version)


def _wait_up(board, scenario, version):
    # Started, so confirmed (boot.py); then stopped, so that nothing writes any more.
    from host_tools.link import open_board

    board.wait_output(project.SCENARIOS[scenario][1](version), timeout=30)
    with open_board(board.port):
        pass


def _manifest(root):
    (path,) = Path(root, "build").glob("*/manifest.json")
    return json.loads(path.read_text())


def prepare(work, scenario="small"):
    """The projects, and the flash before the deploy under test (v1 in a, v2 in b running)."""
    from host_tools.sim import VirtualBoard

    work = Path(work)
    writer = project.SCENARIOS[scenario][0]
    roots = {v: writer(work / v, v) for v in project.VERSIONS}
    base = work / "base.img"
    with VirtualBoard(flash=str(work / "prep.img"), board=BOARD) as b:
        _deploy_and_boot(b, scenario, roots["v1"], "v1")
        _deploy_and_boot(b, scenario, roots["v2"], "v2")
    os.replace(work / "prep.img", base)
    return {"work": str(work), "base": str(base), "scenario": scenario,
            "roots": {v: str(r) for v, r in roots.items()}}


def record(prep, name="deploy", variant_name=None):
    """Deploy v3 over prep's flash while recording; returns the recording (a dict)."""
    from host_tools.sim import VirtualBoard

    work = Path(prep["work"])
    flash, journal = work / (name + ".img"), work / (name + ".journal")
    shutil.copyfile(prep["base"], flash)
    journal.write_bytes(b"")
    marks = {}

    def hook(stage, board):
        marks[stage] = count_writes(journal)

    old_env = os.environ.get(JOURNAL_ENV)
    os.environ[JOURNAL_ENV] = str(journal)  # read by each board process as it starts
    try:
        with VirtualBoard(flash=str(flash), board=BOARD) as b:
            b.wait_output(project.SCENARIOS[prep["scenario"]][1](OLD), timeout=30)
            marks["boot"] = count_writes(journal)
            with variant(variant_name):
                _deploy_and_boot(b, prep["scenario"], prep["roots"][NEW], NEW, hook)
            marks["up"] = count_writes(journal)
    finally:
        if old_env is None:
            os.environ.pop(JOURNAL_ENV, None)
        else:
            os.environ[JOURNAL_ENV] = old_env
    manifests = {v: _manifest(r) for v, r in prep["roots"].items()}
    rec = {
        "base": prep["base"], "journal": str(journal), "flash": str(flash), "variant": variant_name,
        "start": project.SCENARIOS[prep["scenario"]][2],
        "block_size": 4096, "writes": count_writes(journal), "marks": marks,
        "builds": {v: {"id": m["build_id"], "tree": {p: e["sha256"] for p, e in m["tree"].items()}}
                   for v, m in manifests.items()},
        "root": {f: sorted({m["root"][f]["sha256"] for m in manifests.values()}) for f in ("boot.py", "main.py")},
    }
    _check_replay(rec)
    return rec


def count_writes(journal):
    with open(journal, "rb") as f:
        return sum(1 for _ in flash_journal.records(f))


def image_at(rec, n, done=None):
    """The flash (bytes) after the deploy's first n writes, with `done` bytes of write n+1."""
    img = bytearray(Path(rec["base"]).read_bytes())
    with open(rec["journal"], "rb") as f:
        for i, r in enumerate(flash_journal.records(f)):
            if i == n:
                if done:
                    flash_journal.apply(img, rec["block_size"], r, done)
                break
            flash_journal.apply(img, rec["block_size"], r)
    return bytes(img)


def _check_replay(rec):
    # The journal must hold every write: replayed over the flash before, it gives the flash after.
    if image_at(rec, rec["writes"]) != Path(rec["flash"]).read_bytes():
        raise AssertionError("the flash journal does not replay to the flash the deploy left")


def sample(rec, every):
    """Every `every`-th write point, and every point around .built and the switch."""
    total, m = rec["writes"], rec["marks"]
    pts = set(range(0, total + 1, max(1, every))) | {total}
    for start, width in ((m.get("sent"), 24), (m.get("switch"), 24), (m.get("up"), 8)):
        if start is not None:
            pts.update(range(max(0, start - 4), min(total, start + width) + 1))
    return sorted(pts)


TEARS = (0.25, 0.5, 0.75)  # how much of the write the power cut lets happen


def sweep(rec, points=None, jobs=None, tears=TEARS):
    """Check the states at `points` (None: all): after N writes, and with write N+1
    partly done (each fraction in `tears`). Returns [(N, "cut"|"tornK", verdict, detail)]."""
    points = list(range(rec["writes"] + 1)) if points is None else sorted(points)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(points)))
    chunks = [points[i::jobs] for i in range(jobs)]
    with ThreadPoolExecutor(jobs) as ex:
        parts = list(ex.map(lambda c: _check_batch(rec, c, tears), chunks))
    return sorted((r for part in parts for r in part), key=_order)


def _order(r):
    # In the order a write happens: after N writes, then write N+1 more and more done.
    return r[0], 0 if r[1] == "cut" else int(r[1][4:])


def _check_batch(rec, points, tears):
    cfg = {k: rec[k] for k in ("block_size", "builds", "root", "start")}
    cfg.update(image=rec["base"], journal=rec["journal"], points=points, tears=list(tears))
    fd, path = tempfile.mkstemp(suffix=".json", prefix="power-check-")
    with os.fdopen(fd, "w") as f:
        json.dump(cfg, f)
    try:
        env = dict(os.environ, MICROPYPATH=str(HERE) + os.pathsep + ".frozen")
        env.pop(JOURNAL_ENV, None)
        p = subprocess.run([child.find_micropython(), "-X", "heapsize=64M", str(HERE / "power_check.py"), path],
                           capture_output=True, text=True, env=env, timeout=1800)
    finally:
        os.remove(path)
    out = []
    for line in p.stdout.splitlines():
        if line.startswith("R "):
            _, n, kind, verdict, detail = (line.split(" ", 4) + [""])[:5]
            out.append((int(n), kind, verdict, detail))
    want = len(points) * (1 + len(tears)) - (len(tears) if rec["writes"] in points else 0)
    if p.returncode != 0 or len(out) != want:
        raise RuntimeError("the power-cut checker stopped (exit %d): %s" % (
            p.returncode, (p.stderr or p.stdout)[-2000:]))
    return out


def summarize(rec, results):
    """Counts and failures: a FAIL, or a boot of the old build after one of the new."""
    counts, failures, seen_new = {}, [], None
    for n, kind, verdict, detail in sorted(results, key=_order):
        counts[verdict] = counts.get(verdict, 0) + 1
        if verdict not in (OLD, NEW):
            failures.append((n, kind, verdict, detail))
        elif verdict == NEW and seen_new is None:
            seen_new = (n, kind)
        elif verdict == OLD and seen_new is not None:
            failures.append((n, kind, "FAIL", "boots %s again after %s booted at %s" % (OLD, NEW, seen_new)))
    return {"writes": rec["writes"], "points": len({r[0] for r in results}), "states": len(results),
            "counts": counts, "first_new": seen_new, "failures": failures, "marks": rec["marks"]}


def format_summary(s):
    lines = ["%d flash writes in the deploy (marks: %s); %d write points, %d flash states checked" % (
        s["writes"], ", ".join("%s %d" % kv for kv in sorted(s["marks"].items(), key=lambda kv: kv[1])),
        s["points"], s["states"])]
    lines.append("booted: " + ", ".join("%s %d" % kv for kv in sorted(s["counts"].items())) +
                 ("; %s from write point %d (%s) on" % ((NEW,) + s["first_new"]) if s["first_new"] else ""))
    for f in s["failures"][:10]:
        lines.append("  at write %d (%s): %s %s" % f)
    if len(s["failures"]) > 10:
        lines.append("  ... %d failures in all" % len(s["failures"]))
    lines.append("OK: every cut boots one whole build" if not s["failures"] else
                 "FAILED: %d states boot no whole build" % len(s["failures"]))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.sim.power_cut", description=__doc__.split("\n")[0])
    ap.add_argument("--every", type=int, default=1, metavar="K",
                    help="check every K-th write point and those around .built and the switch (default 1: all)")
    ap.add_argument("--scenario", choices=sorted(project.SCENARIOS), default="small",
                    help="the project deployed: small (made up) or firmware (this checkout's)")
    ap.add_argument("--variant", choices=sorted(VARIANTS), help="sweep a broken variant of the deploy instead")
    ap.add_argument("--tears", type=int, default=len(TEARS), metavar="T",
                    help="also cut each write T ways, after 1/(T+1), 2/(T+1), ... of it (default %d)" % len(TEARS))
    ap.add_argument("--jobs", type=int, default=None, help="checker processes (default: one per CPU)")
    ap.add_argument("--work", default=None, help="keep the images and journal in this directory")
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    work = a.work or tempfile.mkdtemp(prefix="mpk-power-cut-")
    os.makedirs(work, exist_ok=True)
    try:
        rec = record(prepare(work, a.scenario), variant_name=a.variant)
        t1 = time.monotonic()
        pts = None if a.every <= 1 else sample(rec, a.every)
        tears = tuple(i / (a.tears + 1) for i in range(1, a.tears + 1))
        s = summarize(rec, sweep(rec, pts, a.jobs, tears))
        print(format_summary(s))
        print("recorded in %.1f s, swept in %.1f s" % (t1 - t0, time.monotonic() - t1))
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if s["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
