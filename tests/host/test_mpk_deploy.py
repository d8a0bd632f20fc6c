"""mpk deploy against virtual boards: incremental, atomic, rollback, flash full, board vanishing."""
import os
import re
import time

import pytest

from host_tools import deploy as D
from host_tools import transfer
from host_tools.link import open_board
from host_tools.errors import MpkError
from mpk_fixtures import ROOT, assert_one_line_error, make_tree, run_mpk, sim_available, virtual_board  # noqa: F401

BOOT = (ROOT / "firmware" / "boot.py").read_text()

ok, why = sim_available()
pytestmark = pytest.mark.skipif(not ok, reason=why)


def project(tmp_path, n=12, size=3000, main_src=None, name="proj"):
    files = {
        "firmware/boot.py": BOOT,
        "firmware/main.py": main_src or "import kernel\ndef main():\n    print('FIRMWARE', kernel.VERSION)\n",
        "kernel/__init__.py": "VERSION = 1\n",
    }
    for i in range(n):
        body = "".join("X%d_%d = %r\n" % (i, j, "v" * 40) for j in range(size // 50))
        files["servers/s%02d.py" % i] = body
    return make_tree(tmp_path / name, files)


def board_state(port):
    with open_board(port) as b:
        out = b.exec("import os\ntry:\n print(open('/mpk/active').read())\nexcept OSError:\n print('NONE')")
    return out.decode().strip()


def quiet(*a):
    pass


def test_first_deploy_noop_and_one_file(virtual_board, tmp_path):
    root = project(tmp_path)
    s1 = D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert s1["tree"] == "a" and s1["switched"] and s1["sent"] == 17 and s1["skipped"] == 0  # with .qstrs
    virtual_board.wait_output(b"FIRMWARE 1")
    assert board_state(virtual_board.port) == "a"  # started, so confirmed

    s2 = D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert s2.get("up_to_date") and s2["sent"] == 0 and s2["bytes"] == 0

    (root / "kernel" / "__init__.py").write_text("VERSION = 2\n")
    virtual_board.clear_output()
    s3 = D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert s3["tree"] == "b" and s3["sent"] == 1 and s3["copied"] == 14
    virtual_board.wait_output(b"FIRMWARE 2")
    assert board_state(virtual_board.port) == "b"

    # Back to version 1: tree a still holds it, nothing is sent.
    (root / "kernel" / "__init__.py").write_text("VERSION = 1\n")
    s4 = D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert s4["tree"] == "a" and s4["sent"] == 0 and s4["skipped"] == 15

    # A removed module is removed from the tree it is deployed into.
    (root / "servers" / "s00.py").unlink()
    s5 = D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert s5["removed"] == 1
    with open_board(virtual_board.port) as b:
        left = b.exec("import os\nprint(sorted(os.listdir('/mpk/%s/servers')))" % s5["tree"]).decode()
    assert "s00.mpy" not in left and "s01.mpy" in left


def test_a_copy_of_a_file_changed_by_hand_is_caught_before_the_switch(virtual_board, tmp_path):
    # The running tree's files are copied into the idle one on the word of its .sums; a
    # file changed by hand (its size kept) is caught by the copy's check, nothing switches.
    root = project(tmp_path)
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    # At the REPL once main.py is done: the unix port raises a Ctrl-C wherever it lands,
    # and inside littlefs (main.py's imports) that can leave its state broken.
    virtual_board.wait_output(re.compile(rb"FIRMWARE 1.*>>> ", re.S), timeout=10)
    with open_board(virtual_board.port) as b:
        b.exec("f = open('/mpk/a/servers/s03.mpy', 'r+b'); f.seek(40); c = f.read(1); f.seek(40)\n"
               "f.write(bytes([c[0] ^ 1])); f.close()")
    (root / "kernel" / "__init__.py").write_text("VERSION = 2\n")
    with pytest.raises(MpkError) as e:
        D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert "verification failed on the board for /mpk/b/servers/s03.mpy" in str(e.value)
    assert "--verify" in str(e.value) and board_state(virtual_board.port) == "a"
    s = D.deploy(port=virtual_board.port, root=root, log=quiet, verify=True)   # what it says to do
    assert s["tree"] == "b" and s["switched"] and board_state(virtual_board.port) == "b"


def test_failing_firmware_rolls_back(virtual_board, tmp_path):
    root = project(tmp_path, n=2)
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    virtual_board.wait_output(b"FIRMWARE 1")
    (root / "firmware" / "main.py").write_text("import kernel\nraise RuntimeError('new firmware is broken')\n")
    virtual_board.clear_output()
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    out = virtual_board.wait_output(b"FIRMWARE 1", timeout=10)
    assert b"new firmware is broken" in out and b"rolled back from tree b to a" in out
    assert board_state(virtual_board.port) == "a"
    # The next good deploy goes through.
    (root / "firmware" / "main.py").write_text("import kernel\ndef main():\n    print('FIRMWARE fixed')\n")
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    virtual_board.wait_output(b"FIRMWARE fixed")


def test_board_vanishing_mid_transfer_keeps_previous_firmware(tmp_path, monkeypatch):
    from host_tools.sim import VirtualBoard

    flash = str(tmp_path / "flash.img")
    root = project(tmp_path, n=30, size=4000)
    vb = VirtualBoard(flash=flash, board="pico").start()
    killed = []
    try:
        D.deploy(port=vb.port, root=root, log=quiet)
        vb.wait_output(b"FIRMWARE 1")
        for f in (root / "servers").iterdir():  # change everything: a long transfer
            f.write_text(f.read_text() + "CHANGED = 1\n")
        (root / "kernel" / "__init__.py").write_text("VERSION = 2\n")
        monkeypatch.setattr(transfer, "FRAME", 1024)   # many frames: a long transfer
        calls = {"n": 0}

        def hook(stage, board):
            if stage == "copied":
                real = board.stream_exec

                def stream_then_vanish(code, talk, **kw):
                    class Port:            # the serial port, yanked from USB mid-stream
                        def __init__(self, port):
                            self.port = port

                        def write(self, data):
                            calls["n"] += 1
                            if calls["n"] == 5:
                                vb.kill()
                                killed.append(1)
                            return self.port.write(data)

                        def __getattr__(self, name):
                            return getattr(self.port, name)

                    return real(code, lambda port: talk(Port(port)), **kw)

                board.stream_exec = stream_then_vanish

        with pytest.raises(MpkError) as e:
            D.deploy(port=vb.port, root=root, log=quiet, _hook=hook)
        msg = str(e.value)
        assert "\n" not in msg and "disappeared" in msg and "previous firmware" in msg
        assert calls["n"] >= 5
    finally:
        if not killed:
            vb.stop()
    with VirtualBoard(flash=flash, board="pico") as vb:
        vb.wait_output(b"FIRMWARE 1")  # still boots the previous firmware
        assert board_state(vb.port) == "a"
        s = D.deploy(port=vb.port, root=root, log=quiet)
        assert s["switched"] and s["tree"] == "b" and s["skipped"] > 0  # what made it is reused
        vb.wait_output(b"FIRMWARE 2")


def test_flash_full_refused_before_writing(virtual_board, tmp_path):
    root = project(tmp_path, n=4)
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    with open_board(virtual_board.port) as b:
        free = b.eval("(lambda s: s[0] * s[3])(__import__('os').statvfs('/'))")
        b.exec("f = open('/filler', 'wb')\nb = bytes(4096)\nfor i in range(%d):\n f.write(b)\nf.close()"
               % (free // 4096 - 3), timeout=60)
    for f in (root / "servers").iterdir():
        f.write_text(f.read_text() + "CHANGED = 1\n")
    with pytest.raises(MpkError, match="flash full.*nothing was written"):
        D.deploy(port=virtual_board.port, root=root, log=quiet)
    with open_board(virtual_board.port) as b:
        assert b.exec("import os\nprint(os.listdir('/mpk'))").decode().strip() == "['active', 'a']"
    assert board_state(virtual_board.port) == "a"


def test_cli_deploy_real_firmware_and_summary(virtual_board):
    p = run_mpk("deploy", "--port", virtual_board.port, timeout=120)
    assert p.returncode == 0, p.stderr
    assert re.search(r"deploy: build \w+ to tree a on .*: \d+ files sent \(.*\), 0 copied on the board, 0 skipped, "
                     r"0 removed; [\d.]+ s; switched, up [\d.]+ s later", p.stdout), p.stdout
    # The deploy returned once the firmware was up: its console answers at once.
    assert run_mpk("ps", "--json", "--via", "server", "--port", virtual_board.port).returncode == 0
    p = run_mpk("deploy", "--json", env={"MPK_PORT": virtual_board.port})
    assert p.returncode == 0 and '"up_to_date": true' in p.stdout, (p.stdout, p.stderr)


def test_cli_deploy_errors(tmp_path, virtual_board):
    assert_one_line_error(run_mpk("deploy"), "no board found")
    bad = project(tmp_path, n=1)
    (bad / "servers" / "s00.py").write_text("def broken(:\n")
    p = run_mpk("deploy", "--port", virtual_board.port, "--root", str(bad))
    assert_one_line_error(p, "build failed", "servers/s00.py")


def test_redeploy_over_a_stopped_system_that_holds_most_of_the_heap(virtual_board, tmp_path):
    # Ctrl-C keeps a stopped system's state, so its memory stays taken while mpk reads
    # the board: here the REPL's globals hold almost all of the heap, leaving no room to
    # even compile the scan. The deploy must soft-reset and carry on.
    root = project(tmp_path)
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    with open_board(virtual_board.port) as b:
        free = b.exec("import gc\nHOG = []\ntry:\n while True:\n  HOG.append(bytearray(256))\n"
                      "except MemoryError:\n del HOG[-8:]\ngc.collect()\nprint(gc.mem_free())")
    assert int(free) < 32 * 1024, free
    (root / "kernel" / "__init__.py").write_text("VERSION = 2\n")
    virtual_board.clear_output()
    s = D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert s["switched"] and s["sent"] == 1
    virtual_board.wait_output(b"FIRMWARE 2")
