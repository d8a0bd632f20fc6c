"""Both virtual boards carry the same simulated devices (host_tools/sim/board/simdevices.py):
the same I2C transactions, through the hardware controller and bit-banged, the same
outside-world calls and the same ADC reading give the same bytes on the unix-port board
and on the emulated Pico, whose real rp2 drivers reach the devices byte by byte."""
import pytest

import emu_helpers
from mpk_fixtures import ROOT
from sim_helpers import MPREMOTE, run_tool

SCRIPT = r"""
try:
    import simboard as W
except ImportError:
    import simworld as W
from machine import I2C, SoftI2C, ADC, Pin
i = I2C(0, scl=Pin(9), sda=Pin(8))
print(i.scan())
W.i2c_device(0, 0x48).temp_c = -12.25
print(i.readfrom_mem(0x48, 0, 2), i.readfrom_mem(0x48, 1, 2), i.readfrom(0x48, 3))
i.writeto_mem(0x48, 2, b'\x12\x34')
print(i.readfrom_mem(0x48, 2, 2))
i.writeto_mem(0x50, 0x001e, b'0123456789', addrsize=16)
print(i.readfrom_mem(0x50, 0x0000, 8, addrsize=16), i.readfrom_mem(0x50, 0x001e, 2, addrsize=16))
i.writeto(0x3c, b'\x00\xaf\x21\x10\x7f\x22\x02\x07')
i.writeto(0x3c, b'\x40' + bytes(range(1, 40)))
d = W.i2c_device(0, 0x3c)
print(d.on, d.frames, bytes(d.ram[256:256 + 24]), bytes(d.ram[256 + 16:256 + 24]))
print(i.readfrom(0x3c, 1))
try:
    i.readfrom(0x3f, 1)
except OSError as e:
    print('absent', e.errno)
s = SoftI2C(scl=Pin(9), sda=Pin(8))
print(s.scan(), s.readfrom_mem(0x48, 0, 2), s.readfrom_mem(0x50, 0x20, 4, addrsize=16))
W.set_adc('GP26', 40000)
print(ADC(26).read_u16(), ADC(Pin(26)).read_u16() >> 4)
"""


def run_on(port, tmp_path, name):
    script = tmp_path / (name + ".py")
    script.write_text(SCRIPT)
    r = run_tool(MPREMOTE, "connect", port, "run", str(script), timeout=120)
    assert r.returncode == 0, r
    return r.stdout.decode().replace("\r\n", "\n")


def test_both_engines_give_the_same_bytes(tmp_path):
    emu_helpers.require()
    from host_tools.sim import VirtualBoard
    from host_tools.sim.rp2040 import EmulatedPico
    from host_tools.sim.rp2040.board import SIMWORLD

    with VirtualBoard(flash=str(tmp_path / "unix.img")) as vb:
        unix = run_on(vb.port, tmp_path, "unix")
    with EmulatedPico(flash=str(tmp_path / "emu.img")) as eb:
        r = run_tool(MPREMOTE, "connect", eb.port, "fs", "cp", SIMWORLD, ":simworld.py")
        assert r.returncode == 0, r
        emu = run_on(eb.port, tmp_path, "emu")
    assert emu == unix
    lines = unix.splitlines()
    assert lines[0] == "[60, 72, 80]"
    assert lines[1] == "b'\\xf3\\xc0' b'`\\xa0' b'`\\xa0`'"     # -12.25 C, then the config register
    assert lines[3] == "b'23456789' b'01'"             # the write wrapped inside its 32-byte page
    assert "absent 5" in unix
