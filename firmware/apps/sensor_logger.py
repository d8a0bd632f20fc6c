# The example application, built only from the servers: every period it reads the I2C
# temperature sensor (a TMP102), blinks the LED, logs the reading (the log server keeps
# it on flash), appends it to a CSV file through the fs server, shows it on the display,
# and checks in with the watchdog. A server that is restarting costs one reading, not the
# application: every call is guarded, and the next period tries again. It checks in
# first, and a server that timed out is not asked again in the same period, so a hung
# server (until the supervisor's pings find it) cannot make the application miss its
# watchdog period.
import kernel
from kernel import port
from servers.api import gpio, i2c, display, fs, watchdog
from servers.lib.base import ServerError, configure, board_of
from servers.api.log import Logger

CSV = "temps.csv"
CSV_MAX = 8192            # start the file again past this size


def tmp102_c(raw):
    # TMP102: 12-bit two's complement, 0.0625 C per bit, left aligned in two bytes.
    v = (raw[0] << 8 | raw[1]) >> 4
    if v & 0x800:
        v -= 0x1000
    return v * 0.0625


CALL_MS = 500             # a server slower than this is skipped for the period


def _try(gen, errors, skip=None, name=None):
    # Run one client call; count and swallow what a restarting server answers. A server
    # in skip (it timed out this period) is not called; one that times out joins it.
    if skip is not None and name in skip:
        gen.close()
        return None
    try:
        return (yield from gen)
    except (ServerError, kernel.IPCError) as e:
        errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
        if skip is not None and isinstance(e, kernel.Timeout):
            skip.add(name)
        return None


# period_ms: one reading per period; board: None (the board we run on), a name or a module.
CONFIG = {"period_ms": 1000, "board": None}


def main(name="sensor_logger", **config):
    c = configure(CONFIG, config, name)
    period_ms = c["period_ms"]
    b = board_of(c["board"])
    sensor = b.TEMP_I2C
    log = Logger("sensor")
    g = gpio.client(timeout=CALL_MS)
    bus = i2c.client(timeout=CALL_MS)
    disp = display.client(timeout=CALL_MS)
    files = fs.client(timeout=CALL_MS)
    wd = watchdog.client(timeout=CALL_MS)
    errors = {}
    led = None
    n = 0
    csv_size = 0
    yield from log.info("started: %s on I2C %d at 0x%02x" % (sensor["chip"], sensor["bus"], sensor["addr"]))
    while True:
        t0 = port.ticks_ms()
        skip = set()
        if (yield from _present("watchdog")):      # images without a watchdog run too
            yield from _try(wd.checkin(), errors)
        if led is None:
            led = yield from _try(g.claim("LED", "out"), errors, skip, "gpio")
        else:
            yield from _try(g.toggle("LED"), errors, skip, "gpio")
        raw = yield from _try(bus.readmem(sensor["addr"], 0, 2, sensor["bus"]), errors, skip, "i2c")
        if raw is not None:
            n += 1
            c = tmp102_c(raw)
            text = "%.2f C" % c
            yield from log.info("#%d %s" % (n, text))
            line = "%d,%.2f\n" % (n, c)
            if csv_size + len(line) > CSV_MAX:
                csv_size = 0
                yield from _try(files.remove(CSV), errors, skip, "fs")
            yield from _try(_append(files, line, errors), errors, skip, "fs")
            csv_size += len(line)
            for op in (disp.fill(0), disp.text("temperature", 0, 0), disp.text(text, 0, 16),
                       disp.text("#%d" % n, 0, 32), disp.show()):
                yield from _try(op, errors, skip, "display")
        else:
            yield from log.warn("sensor read failed")
        left = period_ms - port.ticks_diff(port.ticks_ms(), t0)
        yield kernel.sleep(left if left > 0 else 0)


def _present(name):
    try:
        yield kernel.lookup(name, 0)
        return True
    except kernel.Timeout:
        return False


def _append(files, line, errors):
    # Mode "a": the fs server copies the file aside, we add the line, and close puts the
    # new version in place atomically (a reset never leaves half a line).
    h = yield from files.open(CSV, "a")
    try:
        yield from files.write(h, line.encode())
    except Exception:
        yield from files.abort(h)
        raise
    yield from files.close(h)
    return True
