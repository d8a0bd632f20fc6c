# `machine` for the virtual board: the rp2 API, simulated. Installed as
# sys.modules["machine"] before any user code runs.
import sys
import time
import simcore
import simdevices

_umachine = sys.modules.get("machine") or __import__("machine")
Signal = _umachine.Signal
time_pulse_us = _umachine.time_pulse_us

PWRON_RESET = simcore.PWRON_RESET
WDT_RESET = simcore.WDT_RESET

_cfg = simcore.cfg
_board = _cfg["board"]
_wiring = _cfg["wiring"]
_freq = [125_000_000]


# --- pins and wiring --------------------------------------------------------
# A net is a set of pins wired together plus external drivers (buttons, host).
# The level of a net: any driver pulling low wins, else any driving high, else
# the pulls, else low (a floating input reads 0 here).

NPINS = _board["npins"]
_mode = [-1] * NPINS
_pull = [0] * NPINS
_out = [0] * NPINS
_level = [0] * NPINS
_irq = [None] * NPINS
_net = [None] * NPINS


class _Net:
    def __init__(self, pins):
        self.pins = pins
        self.ext = {}


for _p in range(NPINS):
    _net[_p] = _Net([_p])
for _pins in _wiring.get("nets", ()):
    _n = _Net(list(_pins))
    for _p in _pins:
        _net[_p] = _n


def _net_level(net):
    hi = False
    for p in net.pins:
        m = _mode[p]
        if m == 1 or (m == 2 and _out[p] == 0):  # OUT, or OPEN_DRAIN pulling low
            if _out[p] == 0:
                return 0
            hi = True
    for v in net.ext.values():
        if v == 0:
            return 0
        if v == 1:
            hi = True
    if hi:
        return 1
    for p in net.pins:
        if _pull[p] == 1:
            return 1
    return 0


def _update(p):
    net = _net[p]
    lvl = _net_level(net)
    for q in net.pins:
        if _level[q] != lvl:
            _level[q] = lvl
            irq = _irq[q]
            if irq is not None:
                irq._edge(lvl)


def drive(p, level):
    """An external driver on pin p: 0, 1, or None (released)."""
    net = _net[p]
    if level is None:
        net.ext.pop("host", None)
    else:
        net.ext["host"] = 1 if level else 0
    _update(p)


def _pin_number(id):
    if isinstance(id, Pin):
        return id._id
    if isinstance(id, str):
        n = _board["pins"].get(id)
        if n is None:
            raise ValueError('unknown named pin "%s"' % id)
        return n
    if isinstance(id, int) and 0 <= id < NPINS:
        return id
    raise ValueError("invalid pin")


class _PinIRQ:
    def __init__(self, pin, handler, trigger, hard):
        self.pin = pin
        self.handler = handler
        self._trigger = trigger
        self.hard = hard
        self._flags = 0

    def _edge(self, lvl):
        t = Pin.IRQ_RISING if lvl else Pin.IRQ_FALLING
        if self.handler is None or not (self._trigger & t):
            return
        self._flags = t
        if self.hard:
            self.handler(self.pin)
        else:
            simcore.soft_irq(self.handler, self.pin)

    def flags(self):
        return self._flags

    def trigger(self, t=None):
        if t is not None:
            self._trigger = t
        return self._trigger


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    ALT = 3
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_LOW_LEVEL = 1
    IRQ_HIGH_LEVEL = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, id, mode=-1, pull=-1, *, value=None, alt=-1):
        self._id = _pin_number(id)
        if mode != -1 or pull != -1 or value is not None:
            self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, alt=-1):
        p = self._id
        if value is not None:
            _out[p] = 1 if value else 0
        if mode != -1:
            if mode not in (0, 1, 2, 3):
                raise ValueError("invalid pin mode")
            _mode[p] = mode
        if pull != -1:
            _pull[p] = pull or 0
        _update(p)

    def value(self, v=None):
        p = self._id
        if v is None:
            return _level[p]
        _out[p] = 1 if v else 0
        _update(p)

    __call__ = value

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    high = on
    low = off

    def toggle(self):
        self.value(1 - _out[self._id])

    def mode(self, m=None):
        if m is None:
            return _mode[self._id]
        self.init(m)

    def pull(self, p=None):
        if p is None:
            return _pull[self._id] or None
        self.init(-1, p)

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, hard=False):
        p = self._id
        if handler is None and _irq[p] is not None and trigger == (4 | 8):
            return _irq[p]
        _irq[p] = _PinIRQ(self, handler, trigger, hard)
        return _irq[p]

    def __repr__(self):
        names = ("IN", "OUT", "OPEN_DRAIN", "ALT")
        m = _mode[self._id]
        s = "Pin(GPIO%d" % self._id
        if m >= 0:
            s += ", mode=" + names[m]
        if _pull[self._id]:
            s += ", pull=" + ("PULL_UP", "PULL_DOWN")[_pull[self._id] - 1]
        return s + ")"

    def __eq__(self, o):
        return isinstance(o, Pin) and o._id == self._id

    def __hash__(self):
        return self._id


def _button_event(b):
    # One scheduled press: drive the level, release after hold_ms, repeat.
    net = _net[b["pin"]]
    key = "button%d" % b["pin"]
    if b.get("_down"):
        b["_down"] = False
        net.ext.pop(key, None)
        _update(b["pin"])
        b["_left"] -= 1
        if b["every_ms"] and b["_left"] != 0:
            simcore.call_later(b["every_ms"] - b["hold_ms"], _button_event, b)
        return
    b["_down"] = True
    net.ext[key] = b["level"]
    _update(b["pin"])
    simcore.call_later(b["hold_ms"], _button_event, b)


def _start_wiring():
    for b in _wiring.get("buttons", ()):
        b = dict(b)
        b["_left"] = b.get("count", 0) or -1
        simcore.call_later(b["at_ms"], _button_event, b)


# --- timers ------------------------------------------------------------------

class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, **kw):
        self._ev = None
        if kw:
            self.init(**kw)

    def init(self, *, mode=PERIODIC, freq=-1, period=-1, callback=None, tick_hz=1000):
        self.deinit()
        if freq > 0:
            ms = 1000 / freq
        elif period > 0:
            ms = period * 1000 / tick_hz
        else:
            raise ValueError("must specify freq or period")
        self._ms = max(1, int(ms))
        self._mode = mode
        self._cb = callback
        self._due = time.ticks_add(time.ticks_ms(), self._ms)
        self._ev = simcore.call_at(self._due, self._fire)

    def _fire(self, _):
        if self._mode == Timer.PERIODIC:
            # re-armed from the previous deadline, so a period does not drift
            self._due = time.ticks_add(self._due, self._ms)
            if time.ticks_diff(self._due, time.ticks_ms()) < 0:
                self._due = time.ticks_ms()
            self._ev = simcore.call_at(self._due, self._fire)
        else:
            self._ev = None
        if self._cb is not None:
            self._cb(self)

    def deinit(self):
        if self._ev is not None:
            simcore.cancel(self._ev)
            self._ev = None

    def __repr__(self):
        return "Timer(mode=%s, period=%d, tick_hz=1000)" % (
            ("ONE_SHOT", "PERIODIC")[getattr(self, "_mode", 1)], getattr(self, "_ms", 0))


# --- watchdog (enforced by the host, so a hung interpreter is still reset) -----

_wdt_started = [False]


def wdt_running():
    # Started in this run of the interpreter, or before a soft reset (the host says so).
    return _wdt_started[0] or bool(simcore.cfg.get("wdt_running"))


class WDT:
    def __init__(self, id=0, timeout=5000):
        if timeout > 8388:
            raise ValueError("timeout exceeds 8388")
        if timeout < 1:
            raise ValueError("timeout too small")
        self._t = timeout
        _wdt_started[0] = True
        simcore.ctl("wdt %d" % timeout)

    def feed(self):
        simcore.ctl("feed")


# --- UART ---------------------------------------------------------------------

_uarts = {}


class UART:
    def __init__(self, id, baudrate=115200, *args, **kw):
        if id not in (0, 1):
            raise ValueError("UART(%s) doesn't exist" % id)
        self._id = id
        self._link = None
        self.init(baudrate, *args, **kw)

    def init(self, baudrate=115200, bits=8, parity=None, stop=1, *, tx=None, rx=None,
             timeout=0, timeout_char=0, txbuf=256, rxbuf=256, invert=0, flow=0):
        self._baud = baudrate
        self._bits = bits
        self._parity = parity
        self._stop = stop
        self._timeout = timeout
        if self._link is None:
            old = _uarts.get(self._id)
            if old is not None:
                self._link = old
            else:
                spec = _wiring.get("uart", {}).get(str(self._id), {"mode": "loopback"})
                if spec["mode"] == "socket":
                    self._link = simdevices.SocketLink(spec["host"], spec["port"])
                else:
                    self._link = simdevices.Loopback()
                _uarts[self._id] = self._link

    def deinit(self):
        pass

    def _wait(self, n):
        link = self._link
        link.poll()
        if self._timeout and len(link.rx) < n:
            t0 = time.ticks_ms()
            while len(link.rx) < n and time.ticks_diff(time.ticks_ms(), t0) < self._timeout:
                time.sleep_ms(1)
                link.poll()

    def any(self):
        self._link.poll()
        return len(self._link.rx)

    def read(self, n=-1):
        self._wait(n if n and n > 0 else 1)
        rx = self._link.rx
        if not rx:
            return None
        if n is None or n < 0:
            n = len(rx)
        self._link.rx = rx[n:]
        return rx[:n]

    def readinto(self, buf, n=-1):
        d = self.read(len(buf) if n < 0 else n)
        if d is None:
            return None
        buf[:len(d)] = d
        return len(d)

    def readline(self):
        self._wait(1)
        i = self._link.rx.find(b"\n")
        if i < 0:
            return self.read()
        return self.read(i + 1)

    def write(self, buf):
        if isinstance(buf, str):
            buf = buf.encode()
        self._link.send(bytes(buf))
        return len(buf)

    def flush(self):
        pass

    def txdone(self):
        return True

    def sendbreak(self):
        pass

    def __repr__(self):
        return "UART(%d, baudrate=%d, bits=%d, parity=%s, stop=%d)" % (
            self._id, self._baud, self._bits, self._parity, self._stop)


# --- I2C ---------------------------------------------------------------------

_buses = {}


def i2c_bus(bus):
    # {addr: device}; shared by every I2C object on the bus, and kept for the
    # whole power cycle, like the chips on a board.
    devs = _buses.get(bus)
    if devs is None:
        devs = {}
        for spec in _wiring.get("i2c", ()):
            if spec["bus"] == bus:
                devs[spec["addr"]] = simdevices.make(spec)
        _buses[bus] = devs
    return devs


def _eio():
    return OSError(5)  # rp2 reports a NACKed address as EIO


class I2C:
    def __init__(self, id=0, *, scl=None, sda=None, freq=400000, timeout=50000):
        if id not in (0, 1):
            raise ValueError("I2C(%s) doesn't exist" % id)
        self._bus = id
        self._freq = freq
        self._devs = i2c_bus(id)

    def init(self, *, scl=None, sda=None, freq=400000):
        self._freq = freq

    def _dev(self, addr):
        # The device addressed by a new transaction (a START on the wire).
        d = self._devs.get(addr)
        if d is None:
            raise _eio()
        d.start()
        return d

    def scan(self):
        return sorted(self._devs)

    def writeto(self, addr, buf, stop=True):
        self._dev(addr).write(bytes(buf))
        return len(buf)

    def writevto(self, addr, vector, stop=True):
        data = b"".join(bytes(b) for b in vector)
        self._dev(addr).write(data)
        return len(data)

    def readfrom(self, addr, nbytes, stop=True):
        return self._dev(addr).read(nbytes)

    def readfrom_into(self, addr, buf, stop=True):
        buf[:] = self._dev(addr).read(len(buf))

    @staticmethod
    def _maddr(memaddr, addrsize):
        n = addrsize // 8
        return bytes((memaddr >> (8 * (n - 1 - i))) & 0xFF for i in range(n))

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        d = self._dev(addr)
        d.write(self._maddr(memaddr, addrsize))
        d.start()                       # the repeated START before the read
        return d.read(nbytes)

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        buf[:] = self.readfrom_mem(addr, memaddr, len(buf), addrsize=addrsize)

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self._dev(addr).write(self._maddr(memaddr, addrsize) + bytes(buf))

    def __repr__(self):
        return "I2C(%d, freq=%d)" % (self._bus, self._freq)


class SoftI2C(I2C):
    # Bit-banged I2C on any pins: sees the devices of bus 0.
    def __init__(self, scl=None, sda=None, *, freq=400000, timeout=50000):
        super().__init__(0, freq=freq)


# --- SPI (MOSI wired to MISO) --------------------------------------------------

class SPI:
    MSB = 0
    LSB = 1

    def __init__(self, id=0, baudrate=1000000, **kw):
        self._id = id
        self._baud = baudrate

    def init(self, baudrate=1000000, **kw):
        self._baud = baudrate

    def deinit(self):
        pass

    def write(self, buf):
        pass

    def read(self, nbytes, write=0x00):
        return bytes((write,)) * nbytes

    def readinto(self, buf, write=0x00):
        for i in range(len(buf)):
            buf[i] = write

    def write_readinto(self, wbuf, rbuf):
        rbuf[:] = wbuf

    def __repr__(self):
        return "SPI(%d, baudrate=%d)" % (self._id, self._baud)


class SoftSPI(SPI):
    def __init__(self, baudrate=500000, **kw):
        super().__init__(-1, baudrate)


# --- ADC -------------------------------------------------------------------------

class ADC:
    CORE_TEMP = 4

    def __init__(self, id):
        if isinstance(id, Pin):
            id = id._id
        if 26 <= id <= 29:
            id -= 26
        if not 0 <= id <= 4:
            raise ValueError("invalid pin")
        self._ch = id

    def read_u16(self):
        # As rp2 does: a 12-bit conversion scaled to 16 bits (raw << 4 | raw >> 8), so
        # a value set as u16 reads back quantised, as on the chip.
        adc = _wiring.get("adc", {})
        if self._ch == 4:
            raw = core_temp_raw(adc.get("temp_c", 25.0))
        else:
            v = adc.get(str(26 + self._ch))
            raw = (4095 if _level[26 + self._ch] else 0) if v is None else v >> 4
        return raw << 4 | raw >> 8

    def __repr__(self):
        return "<ADC channel=%d>" % self._ch


def core_temp_raw(temp_c):
    # The 12-bit reading of the RP2040's sensor at temp_c (datasheet: T = 27 - (V - 0.706)
    # / 0.001721, 3.3 V reference). host_tools/sim/rp2040 uses the same formula.
    v = 0.706 - (temp_c - 27) * 0.001721
    return max(0, min(4095, int(v / 3.3 * 4096 + 0.5)))


def adc_set(gpio, u16):
    _wiring.setdefault("adc", {})[str(gpio)] = u16


# --- PWM (values kept, the pin level is not modulated) ----------------------------

class PWM:
    def __init__(self, pin, *, freq=None, duty_u16=None, duty_ns=None, invert=False):
        self._pin = Pin(pin) if not isinstance(pin, Pin) else pin
        self._freq = 0
        self._duty = 0
        self.init(freq=freq, duty_u16=duty_u16, duty_ns=duty_ns)

    def init(self, *, freq=None, duty_u16=None, duty_ns=None, invert=False):
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)
        if duty_ns is not None:
            self.duty_ns(duty_ns)

    def freq(self, f=None):
        if f is None:
            return self._freq
        if not 8 <= f <= 62_500_000:
            raise ValueError("freq too small" if f < 8 else "freq too large")
        self._freq = f

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        self._duty = max(0, min(65535, d))

    def duty_ns(self, ns=None):
        if ns is None:
            return int(self._duty * 1_000_000_000 / 65535 / self._freq) if self._freq else 0
        self._duty = int(ns * self._freq * 65535 / 1_000_000_000) if self._freq else 0

    def deinit(self):
        self._duty = 0

    def __repr__(self):
        return "<PWM slice=%d channel=%d invert=0>" % ((self._pin._id >> 1) & 7, self._pin._id & 1)


# --- RTC ----------------------------------------------------------------------------

class RTC:
    _offset = 0

    def datetime(self, dt=None):
        if dt is None:
            t = time.localtime(time.time() + RTC._offset)
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)
        want = time.mktime((dt[0], dt[1], dt[2], dt[4], dt[5], dt[6], 0, 0))
        RTC._offset = want - time.time()


# --- functions ----------------------------------------------------------------------

def unique_id():
    return bytes.fromhex(_board["unique_id"])


def freq(hz=None, *_):
    if hz is None:
        return _freq[0]
    if not 10_000_000 <= hz <= 250_000_000:
        raise ValueError("cannot change frequency")
    _freq[0] = hz


def reset_cause():
    return _cfg["reset_cause"]


def reset():
    simcore.hard_reset("reset")


def soft_reset():
    raise SystemExit


def bootloader(*args):
    simcore.hard_reset("bootloader")


def idle():
    time.sleep_ms(1)


def lightsleep(ms=None):
    time.sleep_ms(ms if ms is not None else 1000000)


def deepsleep(ms=None):
    if ms:
        time.sleep_ms(ms)
    reset()


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


for _spec in _wiring.get("i2c", ()):
    i2c_bus(_spec["bus"])  # now, while the host's files (EEPROM images) are reachable
_start_wiring()
