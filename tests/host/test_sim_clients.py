"""Unmodified external clients (mpremote, ampy, pyserial) against the virtual board."""
import os
import pty
import select
import subprocess
import time

import serial

from sim_helpers import AMPY, MPREMOTE, run_tool


def test_mpremote_exec_and_run(mpremote, tmp_path):
    assert mpremote("exec", "print(1 + 2)") == "3\r\n"
    script = tmp_path / "script.py"
    script.write_text("import os\nprint(os.uname().sysname, 'virtual' in os.uname().machine)\n")
    assert mpremote("run", str(script)) == "rp2 True\r\n"


def test_mpremote_fs_round_trip(mpremote, tmp_path):
    src = tmp_path / "data.bin"
    payload = bytes(range(256)) * 40 + b"\r\n\x03\x04 end"  # control chars must pass untouched
    src.write_bytes(payload)
    mpremote("fs", "mkdir", ":lib")
    mpremote("fs", "cp", str(src), ":lib/data.bin")
    assert "10248 data.bin" in mpremote("fs", "ls", ":lib")
    back = tmp_path / "back.bin"
    mpremote("fs", "cp", ":lib/data.bin", str(back))
    assert back.read_bytes() == payload
    (tmp_path / "t.txt").write_text("line1\nline2\n")
    mpremote("fs", "cp", str(tmp_path / "t.txt"), ":t.txt")
    assert mpremote("fs", "cat", ":t.txt").replace("\r\n", "\n") == "line1\nline2\n"
    mpremote("fs", "rm", ":t.txt")
    mpremote("fs", "rm", ":lib/data.bin")
    mpremote("fs", "rmdir", ":lib")
    assert mpremote("fs", "ls").strip() == "ls :"


def test_mpremote_soft_reset_clears_state(mpremote):
    out = mpremote("exec", "x = 1", "soft-reset", "exec", "print('x' in globals())")
    assert out.strip() == "False"


def test_mpremote_mount(mpremote, tmp_path):
    (tmp_path / "hostmod.py").write_text("VALUE = 42\n")
    out = mpremote("mount", str(tmp_path), "exec",
                   "import hostmod; print(hostmod.VALUE); open('made_on_board.txt', 'w').write('hi' * 300)")
    assert "42" in out
    assert (tmp_path / "made_on_board.txt").read_text() == "hi" * 300


def test_mpremote_repl_scripted_session(sim_board):
    # mpremote repl wants a terminal: give it one and type into it.
    master, slave = pty.openpty()
    p = subprocess.Popen([MPREMOTE, "connect", sim_board.port, "repl"],
                         stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    seen = b""

    def until(text, timeout=10):
        nonlocal seen
        end = time.monotonic() + timeout
        while text not in seen:
            assert time.monotonic() < end, seen[-300:]
            if select.select([master], [], [], 0.1)[0]:
                seen += os.read(master, 4096)

    try:
        until(b"Use Ctrl-] or Ctrl-x to exit this shell")
        time.sleep(0.2)
        os.write(master, b"\r")
        until(b">>> ")
        os.write(master, b"print(6 * 7)\r")
        until(b"42\r\n")
        os.write(master, b"\x1d")  # Ctrl-]: leave mpremote
        assert p.wait(10) == 0
    finally:
        p.kill()
        os.close(master)


def test_ampy_put_get_ls_run_rm(sim_board, tmp_path):
    amp = [AMPY, "--port", sim_board.port]
    f = tmp_path / "hello.py"
    f.write_text("print('hello from ampy')\n")

    def ok(*args):
        r = run_tool(*amp, *args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout.decode()

    ok("put", str(f), "hello.py")
    assert "/hello.py" in ok("ls").split()
    assert ok("get", "hello.py").replace("\r\n", "\n").startswith("print('hello from ampy')\n")
    assert ok("run", str(f)).strip() == "hello from ampy"
    ok("rm", "hello.py")
    assert "/hello.py" not in ok("ls").split()


def test_pyserial_opens_it_like_a_serial_port(sim_board):
    with serial.Serial(sim_board.port, 115200, timeout=2) as s:
        s.baudrate = 9600  # baud rate changes are accepted and mean nothing, as on USB CDC
        s.write(b"\x03\x02")
        assert s.read_until(b">>> ").endswith(b">>> ")
