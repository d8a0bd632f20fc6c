"""The boards the virtual board can pretend to be, from their modules in boards/.

Any board with an RP2040 (the chip whose `machine` module host_tools/sim/board simulates):
its pins, its flash as the official firmware lays it out (FLASH) and its os.uname().machine
with " (virtual)" (MACHINE), all from boards/<name>.py (host_tools/board_defs.py). The
emulated RP2040 (host_tools/sim/rp2040) runs the real firmware of one without a radio
(rp2040js has no CYW43): only such boards get "flash_total", the whole flash it emulates.
"""
from host_tools import board_defs
from host_tools.errors import MpkError

# The simulation keeps ~75 KiB of its own in the unix port's heap; 512k leaves ~430 KiB
# free, room for firmware deployed as source. VirtualBoard(heap="256k") leaves what a
# real Pico has free (~180 KiB).
HEAP = "512k"


def names():
    """The boards the virtual board can be."""
    out = []
    for n in board_defs.names():
        b = board_defs.load(n)
        if b.MCU == "rp2040" and not b.VIRTUAL:
            out.append(n)
    return out


def get(name):
    if name not in names():
        raise MpkError(f"unknown board {name!r} (known: {', '.join(names())})")
    b = board_defs.load(name)
    facts = board_defs.facts(name)
    size, fs_bytes, block = facts["FLASH"]
    pins = {"GP%d" % n: n for n in b.GPIOS}
    npins = max(b.GPIOS + b.RESERVED) + 1            # every GPIO of the chip, GP29 too
    led = b.PINS["LED"]
    if isinstance(led, int):
        pins["LED"] = led
    else:                                            # on the radio: one more pin here
        pins["LED"] = pins["WL_GPIO0"] = npins
        npins += 1
    out = {"name": name, "machine": facts["MACHINE"].replace(" with ", " (virtual) with ", 1),
           "pins": pins, "npins": npins, "flash_bytes": fs_bytes, "block_size": block, "heap": HEAP}
    if not b.HAS_WIFI:
        out["flash_total"] = size
    return out
