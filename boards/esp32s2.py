# ESP32-S2 (the ESP32_GENERIC_S2 firmware), e.g. the LOLIN S2 Mini on its native USB, or
# Espressif's Saola-1 / DevKitM-1 with a CP2102N on UART0: an ESP32 board (boards/esp32.py)
# with other pins, one core and no Bluetooth. "LED" is GPIO15, the S2 Mini's LED;
# Espressif's kits have an RGB NeoPixel on GPIO18 instead.
from boards.esp32 import *  # noqa: F401,F403

NAME = "esp32s2"
MCU = "esp32s2"

PINS = {"LED": 15}
# GPIO43/44 are UART0, the firmware's REPL; GPIO46 is an input only.
GPIOS = tuple(range(0, 22)) + tuple(range(33, 43)) + (45, 46)
RESERVED = (19, 20, 26, 27, 28, 29, 30, 31, 32)  # USB D-/D+, SPI flash/PSRAM
# MicroPython's esp32 port puts I2C0 on GPIO18/19, and GPIO19 is USB D-: I2C0 is on its
# I2C1 default pins (SCL 9, SDA 8) here, I2C1 on two free pins.
I2C = {0: {"scl": 9, "sda": 8, "freq": 400000},
       1: {"scl": 34, "sda": 33, "freq": 400000}}
# The port's defaults: SPI(1) is SPI2 on its IO_MUX pins, SPI(2) SPI3.
SPI = {1: {"sck": 12, "mosi": 11, "miso": 13},
       2: {"sck": 36, "mosi": 35, "miso": 37}}
# UART1 on the chip's U1TXD/U1RXD pins (the port's default, TX 10 / RX 9, is I2C0's SCL).
UART = {1: {"tx": 17, "rx": 18}}
ADC = {"ADC0": 1, "ADC1": 2, "ADC2": 3, "ADC3": 4, "ADC4": 5, "ADC5": 6}   # ADC1: GPIO1..10
ADC_VREF_UV = 2500000           # 11 dB attenuation: 0..2.5 V on the S2

if False:  # for the host only (see boards/pico.py)
    MACHINE = "Generic ESP32S2 module with ESP32-S2"
    FIRMWARE = ("esp32", "ESP32_GENERIC_S2", "esp")
    # The firmware's REPL on the native USB (TinyUSB CDC); the kits' CP2102N on UART0.
    USB = {(0x303A, 0x4001): "Espressif USB (MicroPython)",
           (0x10C4, 0xEA60): "Silicon Labs CP210x USB-serial"}
