# `import simboard` on the virtual board: tells code it runs on a simulation and
# lets tests act as the world outside the chip (drive pins, set sensor values).
import simcore
import simmachine

VIRTUAL = True
cfg = simcore.cfg
NAME = cfg["board"]["name"]          # e.g. "pico"
MACHINE = cfg["uname"]["machine"]    # e.g. "Raspberry Pi Pico (virtual) with RP2040"
PINS = cfg["board"]["pins"]          # {"GP0": 0, ..., "LED": 25}


def drive(pin, level):
    """Drive `pin` from outside the board: 0, 1, or None to let go."""
    simmachine.drive(simmachine._pin_number(pin), level)


def i2c_device(bus, addr):
    """The simulated chip at `addr` on I2C `bus` (e.g. set .temp_c, read .mem)."""
    return simmachine.i2c_bus(bus).get(addr)


def set_adc(pin, u16):
    """Set what ADC on GPIO `pin` (26..29) reads."""
    simmachine.adc_set(simmachine._pin_number(pin), u16)


def set_core_temp(temp_c):
    simmachine._wiring.setdefault("adc", {})["temp_c"] = temp_c


def wdt_running():
    """Whether the watchdog counts (it survives a soft reset, as on the RP2040)."""
    return simmachine.wdt_running()
