# Raspberry Pi Pico 2 (RP2350A, the Arm firmware): the Pico's pins and buses (boards/pico.py),
# a faster chip with twice the RAM. The RISC-V firmware (RPI_PICO2-RISCV) runs the same
# board; the board tells its arch (rv32imc) when it is connected.
from boards.pico import *  # noqa: F401,F403
from boards.pico import LIMITS as _L

NAME = "pico2"
MCU = "rp2350"
PWM_FREQ = (9, 75000000)        # at the RP2350's 150 MHz system clock
WDT_MAX_MS = 16777              # one tick per microsecond (the RP2040 counts two)
WDT_CTRL = (0x400D8000, 1 << 30)  # the RP2350's WATCHDOG CTRL and its ENABLE bit
LIMITS = dict(_L, heap=448 * 1024)   # about: 520 KB of SRAM, less what the firmware keeps

if False:  # for the host only (see boards/pico.py)
    MACHINE = "Raspberry Pi Pico2 with RP2350"
    MPY_ARCH = "armv7emsp"
    FIRMWARE = ("rp2", "RPI_PICO2", "uf2")
    FLASH = (4096 * 1024, 3072 * 1024, 4096)
