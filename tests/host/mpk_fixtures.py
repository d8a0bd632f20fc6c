"""Helpers shared by the `mpk` host-tool tests (tests/host/test_mpk_*.py)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MICROPYTHON = os.environ.get("MICROPYTHON") or str(ROOT / ".venv" / "bin" / "micropython")
if not os.path.exists(MICROPYTHON):
    import shutil

    MICROPYTHON = shutil.which("micropython") or MICROPYTHON


def run_mpk(*args, env=None, timeout=60, input=None, board_traceback=False):
    """Run `mpk ARGS` as a user would; returns CompletedProcess (text)."""
    e = dict(os.environ)
    e.pop("MPK_PORT", None)
    e["PYTHONPATH"] = str(ROOT)
    if env:
        e.update(env)
    p = subprocess.run([sys.executable, "-m", "host_tools.cli", *args], capture_output=True, text=True,
                       cwd=str(ROOT), env=e, timeout=timeout, input=input)
    if board_traceback:  # the board's own traceback (mpk run) is fine, a host one is not
        assert ".py\", line" not in p.stderr.replace('"<stdin>", line', ""), p.stderr
    else:
        assert "Traceback" not in p.stderr, p.stderr
    return p


def assert_one_line_error(p, *words):
    assert p.returncode != 0, (p.stdout, p.stderr)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("mpk: error: "), lines[0]
    for w in words:
        assert w.lower() in lines[0].lower(), (w, lines[0])
    return lines[0]


def sim_available():
    try:
        from host_tools.sim import VirtualBoard  # noqa: F401
        return True, ""
    except Exception as e:  # not built yet, or broken
        return False, "host_tools.sim (the virtual board) is not importable: %s" % e


def make_tree(root, files):
    """Write {relpath: text} under root."""
    root = Path(root)
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


@pytest.fixture
def virtual_board(tmp_path):
    """A fresh virtual board (skips when host_tools.sim is not there yet)."""
    ok, why = sim_available()
    if not ok:
        pytest.skip(why)
    from host_tools.sim import VirtualBoard

    with VirtualBoard(flash=str(tmp_path / "flash.img"), board="pico") as b:
        yield b
