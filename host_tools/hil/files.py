"""The HIL test modules on the board: compiled with mpy-cross, kept in /hiltests.

The firmware itself (kernel/ servers/ boards/ hal/ firmware/) goes to the board with
`mpk deploy` (host_tools/deploy.py); the test modules sit beside it in /hiltests, which
the runner puts on sys.path. A sync sends only files whose hash differs and removes
the ones no longer there, so a rack board that already has them costs one round trip.
"""
import contextlib
import fcntl
import hashlib
import os
import subprocess

from host_tools import agent, transfer
from host_tools.build import PROJECT_ROOT, mpy_cross_path
from host_tools.errors import MpkError

BOARD_DIR = "/hiltests"


def compile_dir(src_dir, out_dir, extra=()):
    """Compile every .py of src_dir (and the `extra` files) to out_dir; returns
    {board file name: (host path of the .mpy, sha256 hex)}. Recompiles only what changed."""
    os.makedirs(out_dir, exist_ok=True)
    exe = mpy_cross_path()
    names = sorted(os.listdir(src_dir)) if os.path.isdir(src_dir) else []
    srcs = [os.path.join(src_dir, f) for f in names if f.endswith(".py")]
    srcs += list(extra)
    out = {}
    for src in srcs:
        name = os.path.basename(src)[:-3] + ".mpy"
        with open(src, "rb") as f:
            key = hashlib.sha256(f.read()).hexdigest()[:16]
        dst = os.path.join(out_dir, "%s.%s.mpy" % (name[:-4], key))
        if not os.path.isfile(dst):
            try:
                rel = os.path.relpath(src, PROJECT_ROOT)
            except ValueError:
                rel = src
            if rel.startswith(".."):
                rel = os.path.basename(src)
            tmp = dst + ".%d.tmp" % os.getpid()
            p = subprocess.run([exe, "-o", tmp, "-s", rel.replace(os.sep, "/"), src],
                               capture_output=True, text=True, timeout=60)
            if p.returncode != 0:
                lines = [l for l in (p.stderr or p.stdout).splitlines() if l.strip()]
                raise SyntaxError("%s: %s" % (rel, lines[-1] if lines else "mpy-cross failed"))
            os.replace(tmp, dst)
        with open(dst, "rb") as f:
            out[name] = (dst, hashlib.sha256(f.read()).hexdigest())
    return out


def sync(board, files):
    """Make /hiltests on the board hold exactly `files` (from compile_dir).
    board: a HilBoard (exec, and its link .conn for the fast write path, host_tools/transfer.py:
    each file lands as NAME.new and replaces NAME once its CRC checks). Returns the number
    of files sent."""
    import ast

    have = ast.literal_eval(board.exec(agent.call("hil", "hashes(%r)" % BOARD_DIR), timeout=30).strip())
    if have is None:
        board.exec(agent.call("files", "mkdirs([%r])" % BOARD_DIR))
        have = {}
    stale = [n for n in have if n not in files]
    if stale:
        board.exec(agent.call("files", "rm_quietly(%r)" % ([BOARD_DIR + "/" + n for n in stale],)))
    todo = [(name, path, digest) for name, (path, digest) in sorted(files.items()) if have.get(name) != digest]
    if not todo:
        return 0
    items = [(path, BOARD_DIR + "/" + name + ".new") for name, path, _ in todo]
    transfer.send_files(board.conn, items, timeout=120)     # raises Damaged (an MpkError)
    board.exec(agent.call("files", "replace(%r)" % ([(t, t[:-4]) for _, t in items],)))
    return len(todo)


@contextlib.contextmanager
def build_lock(root=PROJECT_ROOT):
    """One build of build/<board>/ at a time (parallel xdist workers deploy at once)."""
    d = os.path.join(str(root), "build")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".hil-build.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
