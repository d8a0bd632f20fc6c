# Hardware access: the ONLY module that imports `machine`. Servers call these factories
# with the board module (boards.current()) and logical names; the board data says which
# pins and bus ids those are, so no server names a pin number.
#
#   pin_id(board, name)                       what machine.Pin() takes for "LED", "GP2", "D4"...
#   pin(board, name, mode="in", pull=None, value=None)
#                                             mode "in" | "out" | "od" (open drain);
#                                             pull None | "up" | "down"
#   pin_irq(board, p, handler, rising=True, falling=True)
#                                             handler(pin) runs in interrupt context
#                                             (hard where the board allows): it must not allocate
#   pin_irq_off(p)
#   i2c(board, bus, freq=None)                machine.I2C on the board's default pins
#   i2c_recover(board, bus)                   free a stuck bus (9 clocks + STOP), new I2C object
#   spi(board, bus, baudrate=1000000, polarity=0, phase=0)
#   uart(board, bus, baudrate=115200, bits=8, parity=None, stop=1)
#   adc(board, channel)                       channel: a name in board.ADC ("ADC0", "TEMP")
#   adc_uv(board, a)                          microvolts (calibrated read_uv() where the port has it)
#   pwm(board, name, freq, duty_u16=0)
#   timer(board, index, period_ms, periodic, callback)
#                                             callback(timer) in interrupt context; index
#                                             picks one of board.TIMER_IDS
#   wdt(board, timeout_ms, owner=None)        started watchdog (timeout capped at board.WDT_MAX_MS),
#                                             with its keeper (below); owner: see wdt_keeper
#   wdt_owner(owner)                          who feeds it now (None: nobody, the keeper does)
#   wdt_keep(board)                           at boot: keep a WDT left running fed (boot.py)
#   wdt_started()                             a WDT is running and kept
#   wlan(board)                               network.WLAN(STA_IF), None without a radio
#   unique_id(), reset(), reset_cause(), freq()
#
# Names that do not exist on the board raise ValueError; hardware failures raise OSError.
# Only the `machine` API that exists on both rp2 and esp32 is used unguarded (checked by
# tests/host/test_typecheck.py against the ports' stubs); port-specific calls go through
# getattr so the same code runs everywhere.
try:
    import machine
except ImportError:          # CPython or the plain unix port: tests install a fake
    machine = None  # type: ignore

IN = "in"
OUT = "out"
OPEN_DRAIN = "od"
MODES = (IN, OUT, OPEN_DRAIN)
PULLS = (None, "up", "down")


def use(module):
    # Put another `machine` in place (unit tests pass a fake); returns the previous one.
    global machine
    old = machine
    machine = module
    return old


def _m():
    if machine is None:
        raise OSError(19, "no machine module on this port")
    return machine


# --- pins -------------------------------------------------------------------------

def pin_id(board, name):
    # Logical name -> the id machine.Pin() takes. Accepts names in board.PINS and
    # "GPn" / "Dn" / "GPIOn" for any GPIO the board has.
    if type(name) is not str:
        raise ValueError("pin names are strings, like 'GP2' or 'LED'")
    p = board.PINS.get(name)
    if p is not None:
        return p
    for prefix in ("GPIO", "GP", "D"):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            n = int(name[len(prefix):])
            if n in board.GPIOS:
                return n
            break
    raise ValueError("no pin %r on %s" % (name[:24], board.NAME))


def canonical(board, name):
    # One name per physical pin, so "GP25" and "LED" on a Pico are the same claim.
    p = pin_id(board, name)
    return "GP%d" % p if type(p) is int else p


def pin(board, name, mode=IN, pull=None, value=None):
    M = _m()
    if mode not in MODES:
        raise ValueError("mode must be one of %s" % (MODES,))
    if pull not in PULLS:
        raise ValueError("pull must be None, 'up' or 'down'")
    m = M.Pin.IN if mode == IN else (M.Pin.OUT if mode == OUT else M.Pin.OPEN_DRAIN)
    pl = -1
    if pull == "up":
        pl = M.Pin.PULL_UP
    elif pull == "down":
        pl = M.Pin.PULL_DOWN
    pid = pin_id(board, name)
    if value is None:
        return M.Pin(pid, m, pl)
    return M.Pin(pid, m, pl, value=value)


def set_mode(p, mode, pull=None):
    M = _m()
    m = M.Pin.IN if mode == IN else (M.Pin.OUT if mode == OUT else M.Pin.OPEN_DRAIN)
    pl = 0
    if pull == "up":
        pl = M.Pin.PULL_UP
    elif pull == "down":
        pl = M.Pin.PULL_DOWN
    p.init(m, pl)


def pin_irq(board, p, handler, rising=True, falling=True):
    M = _m()
    trig = (M.Pin.IRQ_RISING if rising else 0) | (M.Pin.IRQ_FALLING if falling else 0)
    return p.irq(handler=handler, trigger=trig, hard=bool(board.IRQ_HARD))


def pin_irq_off(p):
    p.irq(handler=None)


# --- buses ------------------------------------------------------------------------

def _bus(table, bus, what, board):
    spec = table.get(bus)
    if spec is None:
        raise ValueError("no %s bus %r on %s (buses: %s)" % (what, bus, board.NAME, sorted(table)))
    return spec


def i2c(board, bus, freq=None):
    M = _m()
    spec = _bus(board.I2C, bus, "I2C", board)
    return M.I2C(bus, scl=M.Pin(spec["scl"]), sda=M.Pin(spec["sda"]),
                 freq=freq or spec.get("freq", 400000))


def i2c_recover(board, bus):
    # A slave that was cut off mid-byte can hold SDA low forever. Clock SCL by hand
    # until it lets go (at most 9 clocks), then make a STOP, then set the bus up again.
    M = _m()
    spec = _bus(board.I2C, bus, "I2C", board)
    try:
        scl = M.Pin(spec["scl"], M.Pin.OPEN_DRAIN, value=1)
        sda = M.Pin(spec["sda"], M.Pin.OPEN_DRAIN, value=1)
        for _ in range(9):
            if sda.value():
                break
            scl.value(0)
            scl.value(1)
        sda.value(0)
        scl.value(1)
        sda.value(1)
    except (OSError, ValueError):
        pass
    return i2c(board, bus)


def spi(board, bus, baudrate=1000000, polarity=0, phase=0):
    M = _m()
    spec = _bus(board.SPI, bus, "SPI", board)
    return M.SPI(bus, baudrate=baudrate, polarity=polarity, phase=phase,
                 sck=M.Pin(spec["sck"]), mosi=M.Pin(spec["mosi"]), miso=M.Pin(spec["miso"]))


def uart(board, bus, baudrate=115200, bits=8, parity=None, stop=1):
    M = _m()
    spec = _bus(board.UART, bus, "UART", board)
    return M.UART(bus, baudrate, bits, parity, stop, tx=M.Pin(spec["tx"]),
                  rx=M.Pin(spec["rx"]), timeout=0)


def bus_pins(board, kind, bus):
    # Canonical names of the pins a bus uses, so the gpio server cannot hand them out.
    table = {"i2c": board.I2C, "spi": board.SPI, "uart": board.UART}[kind]
    spec = _bus(table, bus, kind.upper(), board)
    return tuple("GP%d" % v for k, v in sorted(spec.items()) if k != "freq")


# --- analog, PWM ----------------------------------------------------------------------

def adc(board, channel):
    M = _m()
    src = board.ADC.get(channel)
    if src is None:
        raise ValueError("no ADC channel %r on %s (channels: %s)" % (channel, board.NAME, sorted(board.ADC)))
    if src == "CORE_TEMP":
        return M.ADC(getattr(M.ADC, "CORE_TEMP", 4))
    a = M.ADC(M.Pin(src))
    atten = getattr(M.ADC, "ATTN_11DB", None)    # esp32: full 0..3.3 V range
    if atten is not None and hasattr(a, "atten"):
        a.atten(atten)
    return a


def adc_uv(board, a):
    read_uv = getattr(a, "read_uv", None)        # esp32: calibrated by the chip's eFuse
    if read_uv is not None:
        return read_uv()
    return a.read_u16() * board.ADC_VREF_UV // 65535


def pwm(board, name, freq, duty_u16=0):
    M = _m()
    lo, hi = board.PWM_FREQ
    if not lo <= freq <= hi:
        raise ValueError("freq must be %d..%d Hz" % (lo, hi))
    return M.PWM(M.Pin(pin_id(board, name)), freq=freq, duty_u16=duty_u16)


# --- timers, watchdog ----------------------------------------------------------------

def timer(board, index, period_ms, periodic, callback):
    M = _m()
    ids = board.TIMER_IDS
    tid = ids[0] if ids == (-1,) else ids[index]
    mode = M.Timer.PERIODIC if periodic else M.Timer.ONE_SHOT
    return M.Timer(tid, mode=mode, period=max(1, int(period_ms)), callback=callback)


def timer_slots(board):
    # How many timers can run at once (None: no fixed limit, virtual timers).
    return None if board.TIMER_IDS == (-1,) else len(board.TIMER_IDS)


# The keeper. A watchdog that cannot be stopped (RP2040) must not reset a board whose
# system was stopped at the REPL with Ctrl-C (state kept), is being copied to by
# mpremote, or is booting after a soft reset: a soft timer feeds the running WDT whenever
# its owner is not running. The owner is whatever feeds it for real (the watchdog server
# passes its kernel's is_running); while the owner runs, only it feeds, so a task that
# hangs the loop there still gets the board reset.
KEEP_MS = 500
_wdt = None          # the machine.WDT
_owner = None        # a function: True while the real feeder runs
_keeper = None       # the machine.Timer
_watch = None        # called while the owner runs: see wdt()


def wdt(board, timeout_ms, owner=None, watch=None):
    # Starts the watchdog: on RP2040 it cannot be stopped again. watch: called by the
    # keeper while the owner runs (and feeds), to see who holds the CPU.
    global _wdt, _watch
    _wdt = _m().WDT(timeout=max(1, min(int(timeout_ms), board.WDT_MAX_MS)))
    _watch = watch
    wdt_owner(owner)
    _start_keeper()
    return _wdt


def wdt_owner(owner):
    global _owner
    _owner = owner


def wdt_started():
    # Whether this boot has a watchdog to feed (started here, or kept from the last boot).
    return _wdt is not None


def _keep(t):
    o = _owner
    if _wdt is not None and (o is None or not o()):
        _wdt.feed()
    elif _watch is not None:
        _watch()


def _start_keeper():
    global _keeper
    if _keeper is None:
        M = _m()
        _keeper = M.Timer(-1, mode=M.Timer.PERIODIC, period=KEEP_MS, callback=_keep)


def wdt_running(board):
    # Whether a watchdog is counting (left running by the last boot: it survives a soft reset).
    reg = getattr(board, "WDT_CTRL", None)       # (address, enable bit) where readable
    if reg == "sim":
        try:
            import simboard

            return simboard.wdt_running()
        except ImportError:
            return False
    if reg is None:
        return False
    mem32 = getattr(_m(), "mem32", None)
    return bool(mem32 is not None and mem32[reg[0]] & reg[1])


def wdt_keep(board):
    # At boot (boot.py): a WDT left running by the last boot is fed by the keeper until a
    # watchdog server owns it again. Re-arming it takes the longest timeout.
    global _wdt
    if _wdt is None and wdt_running(board):
        _wdt = _m().WDT(timeout=board.WDT_MAX_MS)
        _start_keeper()
    return _wdt is not None


# --- radio, identity, reset --------------------------------------------------------------

def wlan(board):
    if not board.HAS_WIFI:
        return None
    try:
        import network
    except ImportError:
        return None
    return network.WLAN(network.STA_IF)


def unique_id():
    return _m().unique_id()


def reset():
    _m().reset()


def reset_cause():
    return _m().reset_cause()


def machine_module():
    # The machine module in use (its reset-cause constants name reset_cause()'s number).
    return _m()


def freq():
    return _m().freq()
