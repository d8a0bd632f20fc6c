# Raspberry Pi Pico W: a Pico whose LED hangs off the CYW43 radio chip (Pin("LED")).
from boards.pico import *  # noqa: F401,F403
from boards.pico import LIMITS as _L, SERVERS as _S

NAME = "pico_w"
PINS = {"LED": "LED"}
RESERVED = (23, 24, 25, 29)     # used by the radio on the Pico W
HAS_WIFI = True
SERVERS = _S + ("net",)
LIMITS = dict(_L, heap=160 * 1024)   # the WiFi driver takes its share
