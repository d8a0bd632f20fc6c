"""`mpk sim` as a command: persistent flash, clean shutdown, robustness, bad input."""
import os
import signal
import subprocess
import sys
import time

import pytest

from sim_helpers import MPREMOTE, run_tool
from host_tools.sim import VirtualBoard

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PICO_FLASH = 1408 * 1024


def _ctrl_c_as_at_a_terminal():
    # A job started in the background by a shell inherits SIGINT ignored; Ctrl-C at a
    # terminal is what the test means.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_sim(*args):
    p = subprocess.Popen([sys.executable, "-m", "host_tools.cli", "sim", *args], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=_ctrl_c_as_at_a_terminal)
    port = p.stdout.readline().decode().strip()
    assert port.startswith("/dev/"), (port, p.stderr.read() if p.poll() is not None else "")
    return p, port


def mpk_sim_fails(*args):
    r = subprocess.run([sys.executable, "-m", "host_tools.cli", "sim", *args], cwd=ROOT,
                       capture_output=True, timeout=20)
    err = r.stderr.decode()
    assert r.returncode != 0
    assert r.stdout == b""
    assert len(err.strip().splitlines()) == 1 and err.startswith("mpk: error: "), err
    return err


def mp(port, *args):
    r = run_tool(MPREMOTE, "connect", port, *args)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout.decode()


def test_files_persist_across_soft_reset(sim_board, mpremote):
    mpremote("exec", "open('keep.txt', 'w').write('kept')")
    mpremote("soft-reset")
    assert mpremote("exec", "print(open('keep.txt').read())").strip() == "kept"
    assert "soft reset" in sim_board.events


def stop(p, sig, timeout=30):
    # Its exit code after sig; killed if it does not exit in time (a loaded machine is
    # slow, and a board left running would be found by the next test's `mpk devices`).
    p.send_signal(sig)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise


def test_files_persist_across_mpk_sim_restarts_and_link(tmp_path):
    flash = tmp_path / "pico.img"
    link = tmp_path / "ttyPICO"
    p, port = start_sim("--flash", str(flash), "--link", str(link))
    try:
        assert os.path.realpath(link) == port
        assert flash.stat().st_size == PICO_FLASH
        mp(str(link), "exec", "import os; os.mkdir('lib')\nwith open('lib/x.py', 'w') as f: f.write('X = 7')")
    finally:
        assert stop(p, signal.SIGTERM) == 0
    assert not link.exists() and not os.path.islink(link)  # cleaned up
    p, port = start_sim("--flash", str(flash))
    try:
        assert mp(port, "exec", "import x; print(x.X)").strip() == "7"  # /lib is on sys.path
    finally:
        assert stop(p, signal.SIGINT) == 0


def test_killed_during_a_write_leaves_a_mountable_flash(tmp_path):
    flash = tmp_path / "pico.img"
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(200 * 1024))
    p, port = start_sim("--flash", str(flash))
    mp(port, "fs", "cp", str(tmp_path / "big.bin"), ":before.bin")
    writer = subprocess.Popen([MPREMOTE, "connect", port, "fs", "cp", str(big), ":during.bin"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.4)  # mid-transfer
    p.kill()         # SIGKILL: no clean-up at all, as a power cut
    p.wait(5)
    writer.kill()
    writer.wait(5)
    p, port = start_sim("--flash", str(flash))
    try:
        out = mp(port, "exec", "import os; print(os.listdir()); print(os.stat('before.bin')[6])")
        assert "before.bin" in out and str(200 * 1024) in out
    finally:
        p.terminate()
        p.wait(10)


def test_port_is_gone_after_kill(tmp_path):
    link = str(tmp_path / "ttyKILLED")      # the pty number itself may be reused at once
    b = VirtualBoard(flash=str(tmp_path / "f.img"), link=link).start()
    b.kill()
    assert not os.path.lexists(link)
    assert run_tool(MPREMOTE, "connect", link, "exec", "1").returncode != 0
    b.stop()                          # leaving a `with` block after kill() must be harmless


def test_stop_after_kill_in_a_with_block(tmp_path):
    with VirtualBoard(flash=str(tmp_path / "f.img")) as b:
        b.kill()
    assert b.flash is None            # torn down once, no error on the second stop


def test_corrupt_flash_image_is_refused(tmp_path):
    bad = tmp_path / "bad.img"
    bad.write_bytes(os.urandom(PICO_FLASH))
    before = bad.read_bytes()
    err = mpk_sim_fails("--flash", str(bad))
    assert "does not hold a littlefs filesystem" in err
    assert bad.read_bytes() == before  # not "repaired" by formatting it


def test_wrong_size_flash_image_is_refused(tmp_path):
    bad = tmp_path / "small.img"
    bad.write_bytes(b"\xff" * 4096)
    assert "1441792 bytes" in mpk_sim_fails("--flash", str(bad))


def test_flash_in_use_is_refused(sim_board):
    assert "in use" in mpk_sim_fails("--flash", sim_board.flash.path)


def test_unknown_board_is_refused():
    assert "unknown board 'pico9'" in mpk_sim_fails("--board", "pico9")


@pytest.mark.parametrize("text, words", [
    ('wires = [["GP2", "GP40"]]\n', "GP40"),
    ('[[button]]\npin = "GP99"\n', "GP99"),
    ('wires = [["GP2", "GP3"]\n', "not valid TOML"),
    ('[[i2c]]\naddr = 0x48\ndevice = "bmp280"\n', "device must be one of"),
])
def test_bad_wiring_file_is_refused(tmp_path, text, words):
    w = tmp_path / "wiring.toml"
    w.write_text(text)
    assert words in mpk_sim_fails("--wiring", str(w))


def test_missing_wiring_file_is_refused(tmp_path):
    assert "cannot read wiring file" in mpk_sim_fails("--wiring", str(tmp_path / "nope.toml"))


def test_restart_is_a_power_cycle(sim_board, mpremote):
    mpremote("exec", "with open('boot.py', 'w') as f: f.write('import machine\\nprint(\"boot\", machine.reset_cause())\\n')")
    sim_board.clear_output()
    sim_board.restart()
    out = sim_board.wait_output(b">>> ")
    assert b"boot 1\r\n" in out and b"soft reboot" not in out  # PWRON_RESET, no soft-reboot line
    assert sim_board.events[-1] == "power-on"
    assert mpremote("exec", "import gc; gc.collect(); print(gc.mem_free() > 150_000)").strip() == "True"


def test_pico_sized_heap(tmp_path):
    with VirtualBoard(flash=str(tmp_path / "f.img"), heap="256k") as b:
        free = run_tool(MPREMOTE, "connect", b.port, "exec", "import gc; gc.collect(); print(gc.mem_free())")
        assert 150_000 < int(free.stdout) < 200_000
