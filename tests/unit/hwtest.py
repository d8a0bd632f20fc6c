# Setup shared by the unit tests of the hardware servers (CPython and the MicroPython
# unix port): the fake `machine` in hal, the sim board definition, and
# tests/hil on sys.path so the tests use the same hil.run() as the on-device tests.
import sys

_unit = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
_hil = (_unit[:-4] if _unit.endswith("unit") else _unit + "/../") + "hil"
if _hil not in sys.path:
    sys.path.append(_hil)

import fake_machine as fm  # noqa: E402
import hil  # noqa: E402
import boards  # noqa: E402
import hal  # noqa: E402


def setup(wires=(("GP2", "GP3"),)):
    fm.setup(wires)
    hal.use(fm)
    boards.current("sim")


def run(body, servers=(), timeout_ms=3000, **kw):
    # hil.run on the fake board; the kernel idles through the fake timers.
    setup(kw.pop("wires", (("GP2", "GP3"),)))
    return hil.run(body, servers=servers, timeout_ms=timeout_ms, board="sim", idle=fm.idle, **kw)


def error_reply(r):
    return type(r) is tuple and len(r) == 3 and r[0] == "err"
