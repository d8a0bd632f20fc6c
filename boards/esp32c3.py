# ESP32-C3 (the ESP32_GENERIC_C3 firmware), e.g. Espressif's ESP32-C3-DevKitM-1, whose RGB
# NeoPixel is on GPIO8, or the many "C3 SuperMini" boards with a blue LED there: an ESP32
# board (boards/esp32.py) with one RISC-V core, 22 GPIOs, one I2C controller, one SPI bus
# for users and two UARTs. Its REPL is on the chip's USB-Serial/JTAG and on UART0.
from boards.esp32 import *  # noqa: F401,F403

NAME = "esp32c3"
MCU = "esp32c3"

PINS = {"LED": 8}
GPIOS = tuple(range(0, 22))
RESERVED = (11, 12, 13, 14, 15, 16, 17,   # VDD_SPI, the SPI flash
            18, 19, 20, 21)               # USB D-/D+, UART0 (the REPL)
# The port's I2C0 default pins, SCL 9 / SDA 8, are the BOOT button's and the LED's on
# most boards: I2C0 is on GPIO5/GPIO4 here.
I2C = {0: {"scl": 5, "sda": 4, "freq": 400000}}
SPI = {1: {"sck": 6, "mosi": 7, "miso": 2}}     # SPI2 on its IO_MUX pins; there is no SPI(2)
UART = {1: {"tx": 10, "rx": 9}}                 # the port's default (GPIO9 is also BOOT)
# ADC1 channels on pins no bus takes (channel 2 is GPIO2, SPI1's MISO; channel 4 GPIO4,
# I2C0's SDA); ADC2 (GPIO5) cannot be read while WiFi is on.
ADC = {"ADC0": 0, "ADC1": 1, "ADC3": 3}
ADC_VREF_UV = 2500000           # 11 dB attenuation: 0..2.5 V on the C3
TIMER_IDS = (0, 1)              # two hardware timers, one per group

if False:  # for the host only (see boards/pico.py)
    MACHINE = "ESP32C3 module with ESP32-C3"
    MPY_ARCH = "rv32imc"
    FIRMWARE = ("esp32", "ESP32_GENERIC_C3", "esp")
    # The REPL on the USB-Serial/JTAG; the DevKitM-1's CP2102N on UART0.
    USB = {(0x303A, 0x1001): "Espressif USB-Serial/JTAG",
           (0x10C4, 0xEA60): "Silicon Labs CP210x USB-serial"}
