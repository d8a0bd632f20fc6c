# ESP32-S3 DevKitC-1: an ESP32 board (boards/esp32.py) with other pins. Its only LED is an
# RGB NeoPixel (GPIO48 on v1.0, GPIO38 on v1.1): "LED" drives the pin as a plain GPIO,
# which lights it dimly at best.
from boards.esp32 import *  # noqa: F401,F403
from boards.esp32 import LIMITS as _L

NAME = "esp32s3"
MCU = "esp32s3"

PINS = {"LED": 48}
GPIOS = tuple(range(0, 22)) + tuple(range(35, 49))
RESERVED = (19, 20, 26, 27, 28, 29, 30, 31, 32)  # USB, SPI flash/PSRAM
I2C = {0: {"scl": 9, "sda": 8, "freq": 400000},
       1: {"scl": 15, "sda": 16, "freq": 400000}}
SPI = {1: {"sck": 36, "mosi": 35, "miso": 37},
       2: {"sck": 12, "mosi": 11, "miso": 13}}
UART = {1: {"tx": 17, "rx": 18},
        2: {"tx": 4, "rx": 5}}
ADC = {"ADC0": 1, "ADC1": 2, "ADC2": 3, "ADC3": 4, "ADC4": 5, "ADC5": 6}
ADC_VREF_UV = 3100000
LIMITS = dict(_L, heap=256 * 1024, task_heap=24 * 1024, mailbox_max=64, tasks=48)

if False:  # for the host only (see boards/pico.py)
    MACHINE = "Generic ESP32S3 module with ESP32-S3"
    FIRMWARE = ("esp32", "ESP32_GENERIC_S3", "esp")
    # The firmware's REPL on the native USB (TinyUSB CDC); the chip's USB-Serial/JTAG (its
    # boot ROM, esptool); the DevKitC-1's CP2102N on its UART port.
    USB = {(0x303A, 0x4001): "Espressif USB (MicroPython)",
           (0x303A, 0x1001): "Espressif USB-Serial/JTAG",
           (0x10C4, 0xEA60): "Silicon Labs CP210x USB-serial"}
