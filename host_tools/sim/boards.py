"""Definitions of the boards the virtual board can pretend to be."""
from host_tools.errors import MpkError

KIB = 1024


def _pico_pins(led):
    pins = {"GP%d" % n: n for n in range(29)}
    pins["LED"] = led
    return pins


# flash_bytes: MICROPY_HW_FLASH_STORAGE_BYTES of the real firmware; 4 KiB erase
# blocks as on the RP2040's QSPI flash. heap: the simulation keeps ~75 KiB of
# its own there; 512k leaves ~430 KiB free, room for firmware deployed as source.
# VirtualBoard(heap="256k") leaves what a real Pico has free (~180 KiB).
# flash_total: the whole QSPI flash (firmware + filesystem) of the emulated RP2040
# (host_tools/sim/rp2040), which runs the real firmware; only boards with it can be emulated.
BOARDS = {
    "pico": {
        "machine": "Raspberry Pi Pico (virtual) with RP2040",
        "pins": _pico_pins(25),
        "npins": 30,
        "flash_bytes": 1408 * KIB,
        "flash_total": 2048 * KIB,
        "block_size": 4096,
        "heap": "512k",
    },
    "pico_w": {
        "machine": "Raspberry Pi Pico W (virtual) with RP2040",
        # The Pico W's LED hangs off the WiFi chip, not a GPIO: pin 30 here.
        "pins": dict(_pico_pins(30), WL_GPIO0=30),
        "npins": 31,
        "flash_bytes": 848 * KIB,
        "block_size": 4096,
        "heap": "512k",
    },
}


def get(name):
    try:
        return dict(BOARDS[name], name=name)
    except KeyError:
        raise MpkError(f"unknown board {name!r} (known: {', '.join(sorted(BOARDS))})") from None
