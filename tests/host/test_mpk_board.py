"""mpk run/repl/reset/ls/cat/rm/devices and port errors against a virtual board."""
import json

import pytest
import serial

from host_tools import link
from mpk_fixtures import assert_one_line_error, run_mpk, sim_available, virtual_board  # noqa: F401

ok, why = sim_available()
pytestmark = pytest.mark.skipif(not ok, reason=why)


def test_run_shows_output_and_errors(virtual_board, tmp_path):
    f = tmp_path / "hello.py"
    f.write_text("import sys\nfor i in range(3):\n    print('line', i)\nprint(sys.platform)\n")
    p = run_mpk("run", "--port", virtual_board.port, str(f))
    assert p.returncode == 0, p.stderr
    assert "line 0\r\nline 1\r\nline 2" in p.stdout or "line 0\nline 1\nline 2" in p.stdout
    g = tmp_path / "boom.py"
    g.write_text("raise ValueError('boom')\n")
    p = run_mpk("run", "--port", virtual_board.port, str(g), board_traceback=True)
    assert p.returncode == 1 and "ValueError: boom" in p.stderr  # the board's own traceback
    assert_one_line_error(run_mpk("run", "--port", virtual_board.port, str(tmp_path / "nope.py")), "cannot read")


def test_ls_cat_rm(virtual_board, tmp_path):
    port = virtual_board.port
    f = tmp_path / "w.py"
    f.write_text("import os\nos.mkdir('/d')\nwith open('/d/x.txt', 'w') as h:\n    h.write('hello board')\n"
                 "with open('/top.txt', 'w') as h:\n    h.write('t')\n")
    assert run_mpk("run", "--port", port, str(f)).returncode == 0
    p = run_mpk("ls", "--port", port)
    assert p.returncode == 0 and "/d/" in p.stdout and "/top.txt" in p.stdout
    p = run_mpk("ls", "-r", "--port", port, "/d")
    assert "11  /d/x.txt" in p.stdout
    p = run_mpk("cat", "--port", port, "/d/x.txt")
    assert p.stdout == "hello board"
    assert_one_line_error(run_mpk("cat", "--port", port, "/missing"), "no such file")
    assert_one_line_error(run_mpk("rm", "--port", port, "/d"), "is a directory")
    assert run_mpk("rm", "--port", port, "-r", "/d", "/top.txt").returncode == 0
    p = run_mpk("ls", "--port", port)
    assert "/d/" not in p.stdout and "top.txt" not in p.stdout
    assert_one_line_error(run_mpk("ls", "--port", port, "/nothing"), "no such file")
    assert_one_line_error(run_mpk("rm", "--port", port, "/"), "refusing")


def test_reset_soft_and_hard(virtual_board):
    virtual_board.clear_output()
    p = run_mpk("reset", "--port", virtual_board.port)
    assert p.returncode == 0 and "soft" in p.stdout, p.stderr
    p = run_mpk("reset", "--hard", "--port", virtual_board.port)
    assert p.returncode == 0, p.stderr
    # The board answers again afterwards.
    assert run_mpk("ls", "--port", virtual_board.port).returncode == 0


def test_repl_from_a_pipe(virtual_board):
    p = run_mpk("repl", "--port", virtual_board.port, input="1 + 41\nprint('x' * 3)\n")
    assert p.returncode == 0, p.stderr
    assert "42" in p.stdout and "xxx" in p.stdout


def test_port_busy_is_one_line(virtual_board):
    held = serial.Serial(virtual_board.port, exclusive=True)
    try:
        assert_one_line_error(run_mpk("ls", "--port", virtual_board.port), "busy")
        assert_one_line_error(run_mpk("deploy", "--port", virtual_board.port), "busy")
    finally:
        held.close()
    assert run_mpk("ls", "--port", virtual_board.port).returncode == 0


def test_vanished_board_is_one_line(tmp_path):
    from host_tools.sim import VirtualBoard

    # Through a link of its own: the pty number itself may be reused at once by
    # another board on this machine.
    port = str(tmp_path / "ttyVANISHED")
    vb = VirtualBoard(flash=None, board="pico", link=port).start()
    vb.kill()
    assert_one_line_error(run_mpk("ls", "--port", port), "no board at")


def test_probe_and_devices(virtual_board, monkeypatch, tmp_path):
    info = link.probe(virtual_board.port)
    assert info["implementation"] == "micropython" and info["mpy_version"] == "6.3"
    assert info["flash_free"] > 0 and "virtual" in info["uname"][2].lower()
    # A running virtual board registered the way `mpk sim` does is listed and probed.
    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "b.json").write_text(json.dumps({"port": virtual_board.port, "pid": __import__("os").getpid()}))
    p = run_mpk("devices", "--json", env={"MPK_SIM_DIR": str(reg)})
    found = [d for d in json.loads(p.stdout) if d["port"] == virtual_board.port]
    assert found and found[0]["kind"] == "virtual" and found[0]["board"]["arch"] == "x64"
    p = run_mpk("devices", env={"MPK_SIM_DIR": str(reg)})
    assert virtual_board.port in p.stdout and "micropython 1." in p.stdout


def test_several_boards_need_a_port(tmp_path):
    from host_tools.sim import VirtualBoard

    with VirtualBoard(flash=None, board="pico") as a, VirtualBoard(flash=None, board="pico") as b:
        reg = tmp_path / "reg"
        reg.mkdir()
        for i, vb in enumerate((a, b)):
            (reg / ("%d.json" % i)).write_text(json.dumps({"port": vb.port}))
        env = {"MPK_SIM_DIR": str(reg)}
        assert_one_line_error(run_mpk("ls", env=env), "several boards", a.port, b.port)
        p = run_mpk("ls", "--port", b.port, env=env)
        assert p.returncode == 0, p.stderr
        (reg / "0.json").unlink()
        assert run_mpk("ls", env=env).returncode == 0  # the only board found


def test_flash_enter_bootloader_then_copy(virtual_board, tmp_path):
    # The virtual board reboots on machine.bootloader(); a directory stands in for its drive.
    from test_mpk_flash import fake_drive, uf2

    d = fake_drive(tmp_path)
    fw = uf2(tmp_path / "RPI_PICO-v1.29.0.uf2")
    virtual_board.clear_output()
    p = run_mpk("flash", "--enter-bootloader", "--port", virtual_board.port, "--drive", str(d), fw)
    assert p.returncode == 0, p.stderr
    assert "BOOTSEL" in p.stdout and (d / "RPI_PICO-v1.29.0.uf2").exists()
    import time

    deadline = time.monotonic() + 5
    while "bootloader" not in virtual_board.events and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "bootloader" in virtual_board.events


def test_repl_on_a_terminal(virtual_board):
    import os
    import pty
    import select
    import sys
    import time

    from mpk_fixtures import ROOT

    pid, fd = pty.fork()
    if pid == 0:  # the child: mpk repl on a terminal
        os.chdir(str(ROOT))
        os.environ["PYTHONPATH"] = str(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "host_tools.cli", "repl", "--port", virtual_board.port])

    def read_until(marker, timeout=5.0):
        out, end = b"", time.monotonic() + timeout
        while marker not in out and time.monotonic() < end:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
        return out

    try:
        assert b">>> " in read_until(b"for more information.\r\n>>> ")
        os.write(fd, b"6*7\r")
        assert b"42" in read_until(b"42")
        os.write(fd, b"\x1d")  # Ctrl-]: leave
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0
    finally:
        os.close(fd)
