# Board definitions: one module per board, plain data that servers and the firmware read.
#
#   import boards
#   b = boards.current()          # the board we run on (detected once, then cached)
#   b = boards.current("pico_w")  # or forced, e.g. by the system image
#   b.PINS["LED"], b.I2C[0], b.SERVERS, b.LIMITS ...
#
# Each board module defines the same names (see boards/pico.py for the full list).
# Only hal/__init__.py touches `machine`; the definitions are data.
import sys

# Every board, one name each (its module's); "sim" is the virtual board.
NAMES = ("pico", "pico_w", "pico2", "pico2_w", "esp32", "esp32s2", "esp32s3", "esp32c3", "sim")

_current = None


def load(name):
    # The board module called `name` (one of NAMES).
    if name not in NAMES:
        raise ValueError("unknown board %r (known: %s)" % (name, ", ".join(NAMES)))
    mod = "boards." + name
    __import__(mod)
    return sys.modules[mod]


def detect():
    # Name of the board we run on, from what the firmware says about itself:
    # the virtual board has `simboard`; rp2 and esp32 ports tell their MCU and board in
    # os.uname().machine, e.g. "Raspberry Pi Pico W with RP2040" or
    # "Generic ESP32S3 module with ESP32S3". None when not on a known board.
    try:
        import simboard  # noqa: F401  (only the virtual board has it)

        return "sim"
    except ImportError:
        pass
    try:
        import os

        u = os.uname()
        sysname, machine = u[0], u[4]
    except (ImportError, AttributeError):
        return None
    return from_uname(sysname, machine)


def from_uname(sysname, machine):
    m = machine.upper()
    if sysname == "rp2":
        w = m.split()
        pico_w = any(w[i] == "PICO" and w[i + 1] == "W" for i in range(len(w) - 1))
        return "pico_w" if pico_w else "pico"
    if sysname == "esp32":
        return "esp32s3" if "ESP32S3" in m or "ESP32-S3" in m else "esp32"
    return None


def current(override=None):
    # The board module for this run: `override` (a name, e.g. from the system image)
    # wins, else the detected board. The result is cached until reset().
    global _current
    if override is not None:
        b = load(override)
        _current = b
        return b
    if _current is None:
        name = detect()
        if name is None:
            raise ValueError("cannot tell which board this is; name one in the system image")
        _current = load(name)
    return _current


def reset():
    # Forget the cached board (tests switch boards).
    global _current
    _current = None
