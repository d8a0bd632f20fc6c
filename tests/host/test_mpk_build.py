"""mpk build: mpy-cross into build/<board>/ with a manifest of hashes; incremental."""
import json

import pytest

from host_tools import build as B
from host_tools.errors import MpkError
from mpk_fixtures import ROOT, assert_one_line_error, make_tree, run_mpk

BOOT = (ROOT / "firmware" / "boot.py").read_text()


def project(tmp_path, extra=None):
    files = {
        "kernel/__init__.py": "from .core import run\n",
        "kernel/core.py": "def run():\n    return 1\n",
        "servers/gpio.py": "X = 1\n",
        "boards/pico.py": "PINS = {}\n",
        "boards/data.json": "{}\n",
        "firmware/boot.py": BOOT,
        "firmware/main.py": "def main():\n    pass\n",
        "kernel/__pycache__/junk.pyc": "x",
    }
    files.update(extra or {})
    return make_tree(tmp_path / "proj", files)


def test_build_layout_and_manifest(tmp_path):
    root = project(tmp_path)
    m = B.build(board="pico", root=root)
    out = root / "build" / "pico"
    assert m["arch"] == "armv6m"
    assert m["mpy_version"] == "6.3"
    assert set(m["tree"]) == {"kernel/__init__.mpy", "kernel/core.mpy", "servers/gpio.mpy", "boards/pico.mpy",
                              "boards/data.json", "firmware/main.mpy", ".qstrs"}
    assert set(m["root"]) == {"boot.py", "main.py"}
    assert (out / "root" / "boot.py").read_text() == BOOT
    assert (out / "tree" / "kernel" / "core.mpy").read_bytes()[:2] == b"M\x06"
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["tree"] == m["tree"] and on_disk["build_id"] == m["build_id"]
    for rel, ent in m["tree"].items():
        assert B.sha256_file(out / "tree" / rel) == ent["sha256"]


def test_build_is_incremental(tmp_path):
    root = project(tmp_path)
    m1 = B.build(board="pico", root=root)
    assert m1["compiled"] == 5
    m2 = B.build(board="pico", root=root)
    assert m2["compiled"] == 0 and m2["build_id"] == m1["build_id"]
    (root / "kernel" / "core.py").write_text("def run():\n    return 2\n")
    m3 = B.build(board="pico", root=root)
    assert m3["compiled"] == 1 and m3["build_id"] != m1["build_id"]
    (root / "servers" / "gpio.py").unlink()
    m4 = B.build(board="pico", root=root)
    assert "servers/gpio.mpy" not in m4["tree"]
    assert not (root / "build" / "pico" / "tree" / "servers").exists()
    # Another arch recompiles everything.
    m5 = B.build(board="pico", arch="x64", root=root)
    assert m5["compiled"] == 4


def test_board_definition_sets_arch(tmp_path):
    root = project(tmp_path, {"boards/myboard.py": "MPY_ARCH = 'xtensawin'\n"})
    assert B.build(board="myboard", root=root)["arch"] == "xtensawin"
    assert B.build(board="esp32c3", root=root)["arch"] == "rv32imc"


def test_syntax_error_is_one_line(tmp_path):
    root = project(tmp_path, {"servers/bad.py": "def f(:\n"})
    with pytest.raises(MpkError) as e:
        B.build(board="pico", root=root)
    assert "servers/bad.py" in str(e.value) and "\n" not in str(e.value)


def test_bytecode_version_mismatch_refused(tmp_path):
    root = project(tmp_path)
    with pytest.raises(MpkError, match="mpy v5"):
        B.build(board="pico", root=root, mpy_version="5.0")


def test_missing_boot_refused(tmp_path):
    root = make_tree(tmp_path / "p", {"kernel/a.py": "x = 1\n"})
    with pytest.raises(MpkError, match="boot.py"):
        B.build(board="pico", root=root)


def test_cli_build_real_tree():
    p = run_mpk("build", "--board", "pico")
    assert p.returncode == 0, p.stderr
    assert "built pico" in p.stdout
    assert (ROOT / "build" / "pico" / "manifest.json").is_file()


def test_cli_bad_board_name():
    assert_one_line_error(run_mpk("build", "--board", "../x"), "bad board name")
