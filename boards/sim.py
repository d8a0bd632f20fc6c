# The virtual board (host_tools/sim): a simulated Pico (or Pico W) on the host. Its
# devices are the simulation's: TMP102 at 0x48 and 24C32 EEPROM at 0x50 on I2C bus 0,
# UART and SPI looped back, ADC values set by the test or the wiring file, a watchdog
# that really resets. Pins wired together in the wiring file stand in for jumper wires.
from boards.pico import *  # noqa: F401,F403
from boards.pico import LIMITS as _L

NAME = "sim"
VIRTUAL = True
try:
    import simboard

    LIKE = simboard.NAME                 # "pico" or "pico_w"
except ImportError:                      # imported off the board (unit tests, docs)
    LIKE = "pico"
if LIKE == "pico_w":
    PINS = {"LED": "LED"}
IRQ_HARD = True                          # edges are delivered synchronously
HAS_WIFI = False                         # no radio is simulated
WDT_CTRL = "sim"                         # simboard.wdt_running() tells
# The wiring the HIL tests start the virtual board with (host_tools/sim/wiring.py):
# loopback pairs for the gpio tests.
HIL_WIRING = {"wires": [["GP2", "GP3"], ["GP6", "GP7"]]}
LOOPBACK_PINS = (("GP2", "GP3"), ("GP6", "GP7"))
LIMITS = dict(_L, heap=512 * 1024)

if False:  # for the host only (see boards/pico.py)
    MACHINE = None      # the board it is like's, with " (virtual)": host_tools/sim/boards.py
    MPY_ARCH = None     # the unix port's, which the board tells when it is connected
    FIRMWARE = None     # nothing to flash: `mpk sim` runs it
    USB = {}            # a pseudo-terminal, not USB
    FLASH = None        # the board it is like's
