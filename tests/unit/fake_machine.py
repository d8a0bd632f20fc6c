# A small stand-in for `machine`, for unit tests of the servers under CPython and the
# MicroPython unix port (neither has the hardware classes). Pins can be wired together,
# pin IRQs run synchronously (like hard IRQs), I2C carries a TMP102-like sensor at 0x48
# and a 24C32-like EEPROM at 0x50, UART and SPI loop back, timers fire from idle().
#
#   import fake_machine as fm
#   fm.setup(wires=(("GP2", "GP3"),))
#   hal.use(fm)
#   hil.run(body, servers=("gpio",), board="sim", idle=fm.idle)
import time

try:
    from time import ticks_ms, ticks_diff, ticks_add, sleep_ms
except ImportError:
    from kernel.port import ticks_ms, ticks_diff, ticks_add, sleep_ms

_level = {}
_out = {}
_mode = {}
_pull = {}
_irq = {}
_nets = {}
devices = {}
adc_values = {}
timers = []
wdt = []
resets = []
i2c_fail = [0]            # transactions that fail with EIO before the bus works again
i2c_recovered = [0]


def setup(wires=()):
    # A fresh board: nothing driven, the default I2C devices, no timers.
    for d in (_level, _out, _mode, _pull, _irq, _nets, adc_values):
        d.clear()
    for w in wires:
        net = [int(p[2:]) for p in w]
        for p in net:
            _nets[p] = net
    devices.clear()
    devices[(0, 0x48)] = Tmp102()
    devices[(0, 0x50)] = Eeprom()
    del timers[:]
    del wdt[:]
    del resets[:]
    i2c_fail[0] = 0
    i2c_recovered[0] = 0


def _net(p):
    return _nets.get(p, [p])


def _update(p):
    net = _net(p)
    lvl = None
    for q in net:
        if _mode.get(q) == Pin.OUT or (_mode.get(q) == Pin.OPEN_DRAIN and not _out.get(q)):
            lvl = _out.get(q, 0) if lvl is None else (lvl and _out.get(q, 0))
    if lvl is None:
        lvl = 1 if any(_pull.get(q) == Pin.PULL_UP for q in net) else 0
    for q in net:
        old = _level.get(q, 0)
        _level[q] = lvl
        h = _irq.get(q)
        if h is not None and old != lvl:
            trig, fn, pin = h
            if trig & (Pin.IRQ_RISING if lvl else Pin.IRQ_FALLING):
                fn(pin)


def drive(p, level):
    # An outside driver on pin p (an int): sets the pin's level as if a wire pulled it.
    old = _level.get(p, 0)
    _level[p] = level
    h = _irq.get(p)
    if h is not None and old != level:
        trig, fn, pin = h
        if trig & (Pin.IRQ_RISING if level else Pin.IRQ_FALLING):
            fn(pin)


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, id, mode=-1, pull=-1, value=None):
        if id == "LED":
            id = 25
        if type(id) is not int or not 0 <= id < 49:
            raise ValueError("invalid pin")
        self.id = id
        if mode != -1 or pull != -1 or value is not None:
            self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, value=None):
        if value is not None:
            _out[self.id] = 1 if value else 0
        if mode != -1:
            _mode[self.id] = mode
        if pull != -1:
            _pull[self.id] = pull
        _update(self.id)

    def value(self, v=None):
        if v is None:
            return _level.get(self.id, 0)
        _out[self.id] = 1 if v else 0
        _update(self.id)

    def irq(self, handler=None, trigger=12, hard=False):
        if handler is None:
            _irq.pop(self.id, None)
        else:
            _irq[self.id] = (trigger, handler, self)


class Tmp102:
    def __init__(self):
        self.temp_c = 25.0
        self.ptr = 0

    def write(self, data):
        if data:
            self.ptr = data[0] & 3

    def read(self, n):
        v = (int(round(self.temp_c / 0.0625)) & 0xFFF) << 4 if self.ptr == 0 else 0x60A0
        return bytes((v >> 8, v & 0xFF))[:n]


class Eeprom:
    def __init__(self):
        self.mem = bytearray(b"\xff" * 4096)
        self.ptr = 0

    def write(self, data):
        self.ptr = ((data[0] << 8) | data[1]) & 4095
        for b in data[2:]:
            self.mem[self.ptr] = b
            self.ptr = (self.ptr + 1) & 4095

    def read(self, n):
        out = bytes(self.mem[(self.ptr + i) & 4095] for i in range(n))
        self.ptr = (self.ptr + n) & 4095
        return out


class I2C:
    def __init__(self, id, scl=None, sda=None, freq=400000, timeout=50000):
        self.bus = id

    def _dev(self, addr):
        if i2c_fail[0]:
            i2c_fail[0] -= 1
            raise OSError(5)
        d = devices.get((self.bus, addr))
        if d is None:
            raise OSError(5)
        return d

    def scan(self):
        return sorted(a for (b, a) in devices if b == self.bus)

    def writeto(self, addr, buf, stop=True):
        self._dev(addr).write(bytes(buf))
        return len(buf)

    def readfrom(self, addr, n, stop=True):
        return self._dev(addr).read(n)

    def readfrom_mem(self, addr, reg, n, addrsize=8):
        d = self._dev(addr)
        d.write(bytes((reg >> 8, reg & 0xFF)) if addrsize == 16 else bytes((reg,)))
        return d.read(n)

    def writeto_mem(self, addr, reg, buf, addrsize=8):
        d = self._dev(addr)
        d.write((bytes((reg >> 8, reg & 0xFF)) if addrsize == 16 else bytes((reg,))) + bytes(buf))


class SPI:
    def __init__(self, id, baudrate=1000000, polarity=0, phase=0, sck=None, mosi=None, miso=None):
        self.id = id
        self.baudrate = baudrate

    def write_readinto(self, wbuf, rbuf):
        rbuf[:] = wbuf

    def write(self, buf):
        pass

    def readinto(self, buf, write=0):
        for i in range(len(buf)):
            buf[i] = write

    def deinit(self):
        pass


_uart_rx = {}


class UART:
    def __init__(self, id, baudrate=9600, bits=8, parity=None, stop=1, tx=None, rx=None, timeout=0):
        if id not in (0, 1):
            raise ValueError("UART(%s) doesn't exist" % id)
        self.id = id
        _uart_rx[id] = bytearray()

    def write(self, buf):
        _uart_rx[self.id].extend(buf)
        return len(buf)

    def any(self):
        return len(_uart_rx[self.id])

    def read(self, n=-1):
        rx = _uart_rx[self.id]
        if not rx:
            return None
        if n < 0:
            n = len(rx)
        d = bytes(rx[:n])
        rx[:n] = b""
        return d

    def deinit(self):
        pass


class ADC:
    CORE_TEMP = 4

    def __init__(self, src):
        self.ch = src.id if isinstance(src, Pin) else src

    def read_u16(self):
        if self.ch == 4:
            # 27 C on the RP2040 sensor: 0.706 V
            return adc_values.get(4, int(0.706 / 3.3 * 65535))
        return adc_values.get(self.ch, 0)


class PWM:
    def __init__(self, pin, freq=1000, duty_u16=0):
        self.pin = pin
        self._freq = freq
        self._duty = duty_u16
        self.on = True

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._freq = f

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        self._duty = d

    def deinit(self):
        self.on = False


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, mode=1, period=1000, callback=None):
        self.mode = mode
        self.period = period
        self.callback = callback
        self.due = ticks_add(ticks_ms(), period)
        self.fired = 0
        timers.append(self)

    def deinit(self):
        if self in timers:
            timers.remove(self)


def fire_due():
    # Run the callbacks of the timers whose time has come (what the hardware does).
    now = ticks_ms()
    for t in list(timers):
        if ticks_diff(now, t.due) >= 0:
            t.fired += 1
            if t.mode == Timer.PERIODIC:
                t.due = ticks_add(t.due, t.period)
            else:
                t.deinit()
            t.callback(t)


def idle(ms):
    # The kernel's idle function in unit tests: sleep, then let due timers fire.
    sleep_ms(min(ms, 2))
    fire_due()


class WDT:
    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout
        wdt.append(self)

    def feed(self):
        pass


def unique_id():
    return b"\x01\x02\x03\x04\x05\x06\x07\x08"


def reset():
    resets.append(1)


def reset_cause():
    return 1


def freq():
    return 125000000
