"""Board facts in one place: boards/<name>.py, one name per board.

Every board mpk knows is a module in boards/, named as the board, and the host tools
(flash, build, devices, deploy's naming, the virtual board) read what they need about
it from there (host_tools/board_defs.py), with no table of boards of their own. The
host-only facts cost the board nothing: MicroPython compiles their `if False:` block
to nothing.
"""
import ast
import subprocess
from pathlib import Path

import pytest

from host_tools import board_defs, build, devices, flash
from host_tools.deploy import board_name_from_info
from host_tools.errors import MpkError
from host_tools.mpy_arch import MPY_ARCHS
from host_tools.sim import boards as sim_boards
from mpk_fixtures import ROOT, run_mpk

REAL = [n for n in board_defs.names() if not board_defs.load(n).VIRTUAL]


def test_one_module_per_board_one_name_per_board():
    names = board_defs.names()
    files = sorted(p.stem for p in (ROOT / "boards").glob("*.py") if p.stem != "__init__")
    assert sorted(names) == files and len(set(names)) == len(names)
    for n in names:
        assert board_defs.load(n).NAME == n
    assert [n for n in names if board_defs.load(n).VIRTUAL] == ["sim"]
    with pytest.raises(MpkError, match="unknown board 'pico3'"):
        board_defs.load("pico3")


def test_every_board_mpk_flash_takes_has_a_module():
    assert board_defs.flashable() == REAL
    for n in board_defs.flashable():
        board_defs.load(n)                      # what boards.load("pico2") used to refuse
    p = run_mpk("flash", "--help")
    assert "{%s}" % ",".join(REAL) in p.stdout.replace("\n", "").replace(" ", ""), p.stdout


def test_host_facts_of_every_real_board():
    for n in REAL:
        b, f = board_defs.load(n), board_defs.facts(n)
        assert set(f) == set(board_defs.HOST_FACTS), n
        port, board_id, kind, chip = board_defs.firmware(n)
        assert chip == b.MCU
        # the firmware suits the chip: a UF2 for the RP2s, an esptool image for the ESP32s
        assert (port, kind) == (("rp2", "uf2") if b.MCU.startswith("rp2") else ("esp32", "esp")), n
        assert board_id.startswith("RPI_PICO" if port == "rp2" else "ESP32_GENERIC"), n
        assert f["MPY_ARCH"] in MPY_ARCHS and build.arch_for_board(n) == f["MPY_ARCH"], n
        size, fs_bytes, block = f["FLASH"]
        assert 0 < fs_bytes < size and size % block == 0 and fs_bytes % block == 0, n
        # deploy names the board it reads as its module
        assert board_name_from_info(port, f["MACHINE"]) == n, (n, f["MACHINE"])
        assert f["USB"], n
        for (vid, pid), what in f["USB"].items():
            kind_of = devices.usb_kind(vid, pid)
            assert kind_of.startswith(what) and n in kind_of.split(": ", 1)[1].split(", "), (n, kind_of)


def test_flash_reads_the_download_name_from_the_board(tmp_path):
    for name in ("RPI_PICO2-v1.27.0.uf2", "RPI_PICO2_W-v1.27.0.uf2", "ESP32_GENERIC_C3-v1.27.0.bin"):
        (tmp_path / name).write_bytes(b"")
    assert flash.newest_cached("pico2", tmp_path).name == "RPI_PICO2-v1.27.0.uf2"
    assert flash.newest_cached("esp32c3", tmp_path).name == "ESP32_GENERIC_C3-v1.27.0.bin"
    assert flash.newest_cached("esp32s2", tmp_path) is None
    with pytest.raises(MpkError, match="unknown board 'sim'"):
        flash.newest_cached("sim", tmp_path)     # the virtual board has nothing to flash


def test_the_virtual_board_is_sim_and_its_boards_come_from_their_modules():
    assert sim_boards.names() == ["pico", "pico_w"]
    pico, pico_w = sim_boards.get("pico"), sim_boards.get("pico_w")
    assert (pico["flash_bytes"], pico["flash_total"], pico["block_size"]) == (1408 * 1024, 2048 * 1024, 4096)
    assert pico_w["flash_bytes"] == 848 * 1024 and "flash_total" not in pico_w   # the radio is not emulated
    assert pico["pins"]["LED"] == 25 and pico["npins"] == 30
    assert pico_w["pins"]["LED"] == pico_w["pins"]["WL_GPIO0"] == 30 and pico_w["npins"] == 31
    for b in (pico, pico_w):
        assert "(virtual)" in b["machine"] and board_name_from_info("rp2", b["machine"]) == "sim"
    assert board_defs.facts("sim")["FIRMWARE"] is None and board_defs.facts("sim")["USB"] == {}
    with pytest.raises(MpkError, match="unknown board"):
        sim_boards.get("esp32")


def test_a_projects_board_sets_its_arch_else_mpks_own(tmp_path):
    boards = tmp_path / "boards"
    boards.mkdir()
    (boards / "mine.py").write_text("MPY_ARCH = 'xtensawin'\n")
    (boards / "mine_w.py").write_text("from boards.mine import *\nif False:\n    MACHINE = 'x'\n")
    (boards / "pico.py").write_text("PINS = {}\n")
    assert build.arch_for_board("mine_w", tmp_path) == "xtensawin"      # inherited
    assert build.arch_for_board("pico", tmp_path) == "armv6m"           # mpk's own pico
    assert build.arch_for_board("nothing", tmp_path) is None
    (boards / "bad.py").write_text("if False:\n    USB = make()\n")
    with pytest.raises(MpkError, match="boards/bad.py:2: .*plain data"):
        board_defs.facts("bad", tmp_path)


def test_host_facts_cost_the_board_nothing(tmp_path):
    # Compiled for the board, a module's `if False:` block leaves no trace: not one of its
    # names or strings is in the .mpy (none is interned on the board).
    for n in board_defs.names():
        out = tmp_path / (n + ".mpy")
        subprocess.run([build.mpy_cross_path(), "-o", str(out), str(ROOT / "boards" / (n + ".py"))], check=True)
        mpy = out.read_bytes()
        for word in (b"MPY_ARCH", b"FIRMWARE", b"MACHINE", b"USB", b"FLASH", b"RPI_PICO", b"ESP32_GENERIC"):
            assert word not in mpy, (n, word)


def test_no_table_of_boards_outside_boards():
    # A dict keyed by board names (two or more) anywhere but boards/ (and the tests) is a
    # second place for what boards/ says.
    names = set(board_defs.names())
    found = []
    skip = {"boards", "tests", "build", "node_modules", "__pycache__"}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).parts
        if rel[0].startswith(".") or skip & set(rel):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
                if len(keys & names) >= 2:
                    found.append("%s:%d" % (Path(path).relative_to(ROOT), node.lineno))
    assert not found, found
