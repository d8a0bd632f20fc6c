# Raspberry Pi Pico 2 W: a Pico 2 (boards/pico2.py) whose LED hangs off the CYW43 radio
# chip (Pin("LED")), as on the Pico W.
from boards.pico2 import *  # noqa: F401,F403
from boards.pico2 import LIMITS as _L

NAME = "pico2_w"
PINS = {"LED": "LED"}
RESERVED = (23, 24, 25, 29)     # the radio's (its LED is "LED", on the radio)
HAS_WIFI = True
LIMITS = dict(_L, heap=416 * 1024)   # the WiFi driver takes its share

if False:  # for the host only (see boards/pico.py)
    MACHINE = "Raspberry Pi Pico 2 W with RP2350"
    FIRMWARE = ("rp2", "RPI_PICO2_W", "uf2")
    FLASH = (4096 * 1024, 2560 * 1024, 4096)
