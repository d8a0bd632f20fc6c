# `import simworld` on the emulated Pico (host_tools/sim/rp2040): the world outside the
# chip, as `simboard` is on the unix-port board and with the same calls: drive pins, set
# ADC inputs and the core temperature, look at and change the simulated I2C devices.
# It talks to the emulator through a port at an address the RP2040 leaves unused (a
# request written byte by byte, its length to GO, the answer read back); on a real Pico
# that address faults, so only an emulated board is given this module (the HIL session
# puts it in /hiltests).
import json
import machine
from binascii import unhexlify
from micropython import const

_BASE = const(0x40070000)
_GO = const(0x00)
_PUT = const(0x04)
_LEN = const(0x08)
_GET = const(0x0C)

VIRTUAL = True
ENGINE = "rp2040"
NAME = "pico"


def _call(*req):
    m = machine.mem32
    data = json.dumps(req)
    for c in data:
        m[_BASE + _PUT] = ord(c)
    m[_BASE + _GO] = len(data)        # the CPU stops here until the emulator has answered
    out = bytearray(m[_BASE + _LEN])
    for i in range(len(out)):
        out[i] = m[_BASE + _GET]
    r = json.loads(out)
    if "error" in r:
        raise ValueError(r["error"])
    return r


def _gpio(pin):
    if type(pin) is int:
        return pin
    if pin == "LED":
        return 25
    if pin.startswith("GP"):
        return int(pin[2:])
    raise ValueError("no pin %r" % pin)


def drive(pin, level):
    """Drive `pin` from outside the board: 0, 1, or None to let go."""
    _call("drive", _gpio(pin), level)


def set_adc(pin, u16):
    """Set what the ADC on GPIO `pin` (26..29) reads (quantised to 12 bits, as on the chip)."""
    _call("adc", _gpio(pin), u16)


def set_core_temp(temp_c):
    _call("core_temp", temp_c)


class _Device:
    # A simulated chip on the host: attribute reads and writes go to the emulator.
    def __init__(self, bus, addr):
        object.__setattr__(self, "_where", (bus, addr))

    def __getattr__(self, name):
        bus, addr = self._where
        r = _call("dev", bus, addr, "get", name)
        return unhexlify(r["b"]) if "b" in r else r["v"]

    def __setattr__(self, name, value):
        bus, addr = self._where
        _call("dev", bus, addr, "set", name, value)


def i2c_device(bus, addr):
    """The simulated chip at `addr` on I2C `bus` (e.g. set .temp_c, read .ram)."""
    return _Device(bus, addr)
