# Raspberry Pi Pico W: a Pico whose LED hangs off the CYW43 radio chip (Pin("LED")).
from boards.pico import *  # noqa: F401,F403
from boards.pico import LIMITS as _L

NAME = "pico_w"
PINS = {"LED": "LED"}
RESERVED = (23, 24, 25, 29)     # the radio's on the Pico W (its LED is "LED", on the radio)
HAS_WIFI = True
LIMITS = dict(_L, heap=160 * 1024)   # the WiFi driver takes its share

if False:  # for the host only (see boards/pico.py)
    MACHINE = "Raspberry Pi Pico W with RP2040"
    FIRMWARE = ("rp2", "RPI_PICO_W", "uf2")
    FLASH = (2048 * 1024, 848 * 1024, 4096)    # the WiFi firmware leaves a smaller filesystem
