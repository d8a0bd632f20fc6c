"""The emulated Pico (mpk sim --engine rp2040): the official firmware on rp2040js, used as
a user would: mpremote and ampy, mpk deploy, resets of every kind, persistence, and each
kind of bad input ending in one line and a non-zero exit."""
import os
import re
import signal
import struct
import subprocess
import sys
import time

import pytest

import emu_helpers
from host_tools import deploy as D
from host_tools.link import open_board
from mpk_fixtures import ROOT, assert_one_line_error, make_tree, run_mpk
from sim_helpers import AMPY, MPREMOTE, run_tool

BOOT = (ROOT / "firmware" / "boot.py").read_text()
FIRMWARE = os.environ.get("MPK_PICO_FIRMWARE", "")


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    emu_helpers.require()
    from host_tools.sim.rp2040 import EmulatedPico

    with EmulatedPico(flash=str(tmp_path_factory.mktemp("emu") / "pico.img")) as b:
        yield b


def mpremote(board, *args, timeout=60):
    r = run_tool(MPREMOTE, "connect", board.port, *args, timeout=timeout)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout.decode(errors="replace")


def board_eval(board, expr):
    return mpremote(board, "exec", "print(repr(%s))" % expr).strip()


def wait_event(board, name, timeout=20):
    deadline = time.monotonic() + timeout
    while name not in board.events:
        assert time.monotonic() < deadline, (name, board.events)
        time.sleep(0.05)


def project(tmp_path, main_src=None):
    return make_tree(tmp_path / "proj", {
        "firmware/boot.py": BOOT,
        "firmware/main.py": main_src or "import kernel\ndef main():\n    print('FIRMWARE', kernel.VERSION)\n",
        "kernel/__init__.py": "VERSION = 1\n",
        "servers/s00.py": "X = 1\n",
    })


def test_boots_the_official_firmware(emu):
    out = mpremote(emu, "exec", "import os, sys, machine\nprint(os.uname().machine, os.uname().release, "
                                "sys.implementation._mpy & 0xff, machine.reset_cause())")
    assert out.split() == ["Raspberry", "Pi", "Pico", "with", "RP2040", "1.28.0", "6", "1"], out
    uid = board_eval(emu, "__import__('machine').unique_id()")
    assert uid != repr(bytes(8)) and uid == board_eval(emu, "__import__('machine').unique_id()")


def test_mpremote_and_ampy_round_trips(emu, tmp_path):
    data = os.urandom(20000)
    src, back = tmp_path / "blob.bin", tmp_path / "back.bin"
    src.write_bytes(data)
    mpremote(emu, "fs", "cp", str(src), ":blob.bin")
    mpremote(emu, "fs", "cp", ":blob.bin", str(back))
    assert back.read_bytes() == data
    hello = tmp_path / "hello.py"
    hello.write_text("print('hello from', __import__('os').uname().machine)\n")
    assert run_tool(AMPY, "--port", emu.port, "put", str(hello)).returncode == 0
    r = run_tool(AMPY, "--port", emu.port, "ls")
    assert r.returncode == 0 and "/hello.py" in r.stdout.decode() and "/blob.bin" in r.stdout.decode()
    r = run_tool(AMPY, "--port", emu.port, "run", str(hello))
    assert r.stdout.decode().strip() == "hello from Raspberry Pi Pico with RP2040", r
    mpremote(emu, "fs", "rm", ":blob.bin", "+", "fs", "rm", ":hello.py")


def test_deploy_hard_reset_and_rollback(emu, tmp_path):
    root = project(tmp_path)
    emu.clear_output()
    s = D.deploy(port=emu.port, root=root, log=None, progress=False)
    assert s["switched"] and s["tree"] == "a"
    emu.wait_output(b"FIRMWARE 1", timeout=30)

    # machine.reset() through `mpk reset --hard`: a reboot with the flash kept.
    emu.clear_output()
    n = emu.events.count("hard reset")
    p = run_mpk("reset", "--hard", "--port", emu.port)
    assert p.returncode == 0, p.stderr
    deadline = time.monotonic() + 20
    while emu.events.count("hard reset") == n:
        assert time.monotonic() < deadline, emu.events
        time.sleep(0.05)
    assert board_eval(emu, "__import__('machine').reset_cause()") == "3"      # WDT_RESET, as on rp2
    assert board_eval(emu, "open('/mpk/active').read()") == "'a'"

    # A tree that fails at boot is rolled back by boot.py.
    (root / "firmware" / "main.py").write_text("import kernel\nraise RuntimeError('new firmware is broken')\n")
    emu.clear_output()
    D.deploy(port=emu.port, root=root, log=None, progress=False)
    out = emu.wait_output(b"FIRMWARE 1", timeout=30)
    assert b"new firmware is broken" in out and b"rolled back from tree b to a" in out
    assert board_eval(emu, "open('/mpk/active').read()") == "'a'"
    mpremote(emu, "exec", "import os\nfor p in ('/main.py', '/boot.py'):\n try:\n  os.remove(p)\n except OSError:\n  pass")


def test_unfed_watchdog_and_run_reset(emu):
    n = emu.events.count("watchdog reset")
    r = run_tool(MPREMOTE, "connect", emu.port, "exec", "from machine import WDT; w = WDT(timeout=300)", timeout=30)
    assert r.returncode == 0, r
    deadline = time.monotonic() + 20
    while emu.events.count("watchdog reset") == n:
        assert time.monotonic() < deadline, emu.events
        time.sleep(0.05)
    assert board_eval(emu, "__import__('machine').reset_cause()") == "3"
    emu.run_reset()
    wait_event(emu, "run reset")
    time.sleep(0.5)
    assert board_eval(emu, "__import__('machine').reset_cause()") == "1"      # PWRON_RESET


def test_files_persist_when_the_emulator_restarts(tmp_path):
    emu_helpers.require()
    from host_tools.sim.rp2040 import EmulatedPico

    img = str(tmp_path / "pico.img")
    with EmulatedPico(flash=img) as b:
        mpremote(b, "exec", "f = open('kept.txt', 'w'); f.write('still here'); f.close()")
    with EmulatedPico(flash=img, firmware=None) as b:      # the image carries the firmware
        assert board_eval(b, "open('kept.txt').read()") == "'still here'"


def test_mpk_sim_cli_port_link_registry_and_sigterm(tmp_path):
    emu_helpers.require()
    link = tmp_path / "ttyEMU"
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPK_SIM_DIR=str(tmp_path / "reg"))
    p = subprocess.Popen([sys.executable, "-m", "host_tools.cli", "sim", "--engine", "rp2040", "--link", str(link),
                          "--flash", str(tmp_path / "pico.img")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env, cwd=str(ROOT))
    try:
        port = p.stdout.readline().strip()
        assert port.startswith("/dev/pts/") and os.path.realpath(link) == port
        r = run_tool(MPREMOTE, "connect", str(link), "exec", "import os; print(os.uname().sysname)")
        assert r.stdout.decode().strip() == "rp2", r
        d = run_mpk("devices", "--json", "--no-probe", env={"MPK_SIM_DIR": str(tmp_path / "reg")})
        assert '"engine": "rp2040"' in d.stdout and str(link) in d.stdout, d.stdout
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(20)
    assert p.returncode == 0, p.stderr.read()
    assert not os.path.lexists(link)
    assert not os.listdir(tmp_path / "reg")


# --- bad input: one line and a non-zero exit, nothing half-made ------------------------------

def sim(*args, env=None, timeout=60):
    return run_mpk("sim", "--engine", "rp2040", *args, env=env, timeout=timeout)


def uf2_with_family(tmp_path, family):
    data = bytearray(open(FIRMWARE, "rb").read())
    for off in range(0, len(data), 512):
        struct.pack_into("<I", data, off + 28, family)
    path = tmp_path / ("fw-%08x.uf2" % family)
    path.write_bytes(bytes(data))
    return str(path)


def test_bad_firmware_files(tmp_path):
    emu_helpers.require()
    junk = tmp_path / "junk.uf2"
    junk.write_bytes(os.urandom(1000))
    assert_one_line_error(sim("--firmware", str(junk), "--flash", str(tmp_path / "a.img")), "not a UF2")
    cut = tmp_path / "cut.uf2"
    cut.write_bytes(open(FIRMWARE, "rb").read()[:512 * 100])
    assert_one_line_error(sim("--firmware", str(cut), "--flash", str(tmp_path / "b.img")), "corrupt")
    rp2350 = uf2_with_family(tmp_path, 0xE48BFF59)
    assert_one_line_error(sim("--firmware", rp2350, "--flash", str(tmp_path / "c.img")), "not the RP2040")
    esp = uf2_with_family(tmp_path, 0x1C5F21B0)
    assert_one_line_error(sim("--firmware", esp, "--flash", str(tmp_path / "d.img")), "another chip")
    assert not any(p.suffix == ".img" for p in tmp_path.iterdir())      # no half-made image


def test_no_firmware_anywhere_says_how_to_get_one(tmp_path):
    emu_helpers.require()
    env = {"MPK_PICO_FIRMWARE": "", "MPK_FIRMWARE_CACHE": str(tmp_path / "cache"),
           "MPFLASH_FIRMWARE": str(tmp_path / "dl")}
    line = assert_one_line_error(sim("--flash", str(tmp_path / "new.img"), env=env), "no MicroPython firmware")
    assert "--firmware" in line and "MPK_PICO_FIRMWARE" in line


def test_bad_images_and_missing_rom(emu, tmp_path):
    assert_one_line_error(sim("--flash", emu.flash.path), "in use")
    small = tmp_path / "small.img"
    small.write_bytes(b"\xff" * 4096)
    assert_one_line_error(sim("--flash", str(small)), "4096 bytes")
    # a firmware, then garbage where the filesystem should be: refused, never reformatted
    from host_tools.sim import boards
    from host_tools.sim.rp2040.image import Rp2040Flash

    bad = tmp_path / "badfs.img"
    Rp2040Flash(str(bad), boards.get("pico")).open(FIRMWARE).close()
    with open(bad, "r+b") as f:
        f.seek(2048 * 1024 - 1408 * 1024)
        f.write(os.urandom(8192))
    before = bad.read_bytes()
    assert_one_line_error(sim("--flash", str(bad)), "neither littlefs nor erased")
    assert bad.read_bytes() == before
    nofw = tmp_path / "nofw.img"
    nofw.write_bytes(b"\xff" * (2048 * 1024))
    assert_one_line_error(sim("--flash", str(nofw)), "no bootable firmware")
    assert_one_line_error(sim("--flash", str(tmp_path / "x.img"), env={"MPK_RP2040_BOOTROM": ""}), "boot ROM")
    assert_one_line_error(run_mpk("sim", "--firmware", FIRMWARE), "rp2040 engine")
    assert_one_line_error(sim("--board", "pico_w"), "cannot be emulated")


def test_reenumerate_port_vanishes_and_comes_back_on_its_link(tmp_path):
    emu_helpers.require()
    from host_tools.sim.rp2040 import EmulatedPico

    link = tmp_path / "ttyACM"
    with EmulatedPico(flash=str(tmp_path / "pico.img"), link=str(link), reenumerate=True) as b:
        first = b.port
        hold = open(first, "rb", buffering=0)         # a client that keeps the old port open
        p = run_mpk("reset", "--hard", "--port", str(link))
        assert p.returncode == 0, p.stderr
        wait_event(b, "hard reset")
        deadline = time.monotonic() + 20
        while b.port == first or not os.path.exists(str(link)) or os.path.realpath(link) != b.port:
            assert time.monotonic() < deadline, (first, b.port)
            time.sleep(0.05)
        try:                                           # the old port hung up, as a ttyACM does:
            while hold.read(1):                        # end of file (pyserial: "device disconnected")
                pass
        except OSError as e:                           # or EIO
            assert e.errno == 5, e
        hold.close()
        assert board_eval(b, "__import__('machine').reset_cause()") == "3"     # the new port works
        assert mpremote_on(str(link), "exec", "print(6 * 7)").strip() == "42"


def mpremote_on(port, *args):
    r = run_tool(MPREMOTE, "connect", port, *args, timeout=60)
    assert r.returncode == 0, r
    return r.stdout.decode()


def test_wiring_buttons_and_wires_on_the_chip(tmp_path):
    # The wiring file's button presses on its schedule (emulated time) and wires join pins,
    # seen through the real rp2 Pin and its IRQ.
    emu_helpers.require()
    from host_tools.sim.rp2040 import EmulatedPico

    wiring = {"wires": [["GP2", "GP3"]],
              "button": [{"pin": "GP14", "pressed": 0, "at_ms": 100, "hold_ms": 50, "every_ms": 200}]}
    with EmulatedPico(flash=str(tmp_path / "pico.img"), wiring=wiring) as b:
        out = mpremote(b, "exec",
                       "from machine import Pin\nimport time\nn = [0]\n"
                       "def edge(_):\n    n[0] += 1\n"
                       "p = Pin(14, Pin.IN, Pin.PULL_UP)\n"
                       "p.irq(edge, Pin.IRQ_FALLING)\n"
                       "time.sleep_ms(1000)\nprint(n[0])\n"
                       "o = Pin(2, Pin.OUT); i = Pin(3, Pin.IN)\n"
                       "o(1); a = i(); o(0); print(a, i())")
    presses, wired = out.strip().splitlines()
    assert 4 <= int(presses) <= 6, out                 # one press every 200 ms for a second
    assert wired == "1 0"
