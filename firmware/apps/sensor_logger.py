# The example application, built only from the servers: every period it reads the I2C
# temperature sensor (a TMP102), blinks the LED, logs the reading (the log server keeps
# it on flash), appends it to a CSV file through the fs server, shows it on the display,
# and checks in with the watchdog. A server that is restarting costs one reading, not the
# application: every call is guarded, and the next period tries again.
import kernel
import boards
from kernel import port
from servers import gpio, i2c, display, fs, watchdog
from servers.base import ServerError
from servers.log import Logger

CSV = "temps.csv"
CSV_MAX = 8192            # start the file again past this size


def tmp102_c(raw):
    # TMP102: 12-bit two's complement, 0.0625 C per bit, left aligned in two bytes.
    v = (raw[0] << 8 | raw[1]) >> 4
    if v & 0x800:
        v -= 0x1000
    return v * 0.0625


def _try(gen, errors):
    # Run one client call; count and swallow what a restarting server answers.
    try:
        return (yield from gen)
    except (ServerError, kernel.IPCError) as e:
        errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
        return None


def main(period_ms=1000, board=None):
    b = boards.current(board) if type(board) is str else (board or boards.current())
    sensor = b.TEMP_I2C
    log = Logger("sensor")
    g = gpio.client(timeout=2000)
    bus = i2c.client(timeout=2000)
    disp = display.client(timeout=2000)
    files = fs.client(timeout=2000)
    wd = watchdog.client(timeout=2000)
    errors = {}
    led = None
    n = 0
    csv_size = 0
    yield from log.info("started: %s on I2C %d at 0x%02x" % (sensor["chip"], sensor["bus"], sensor["addr"]))
    while True:
        t0 = port.ticks_ms()
        if led is None:
            led = yield from _try(g.claim("LED", "out"), errors)
        else:
            yield from _try(g.toggle("LED"), errors)
        raw = yield from _try(bus.readmem(sensor["addr"], 0, 2, sensor["bus"]), errors)
        if raw is not None:
            n += 1
            c = tmp102_c(raw)
            text = "%.2f C" % c
            yield from log.info("#%d %s" % (n, text))
            line = "%d,%.2f\n" % (n, c)
            if csv_size + len(line) > CSV_MAX:
                csv_size = 0
                yield from _try(files.remove(CSV), errors)
            yield from _try(_append(files, line, errors), errors)
            csv_size += len(line)
            yield from _try(disp.fill(0), errors)
            yield from _try(disp.text("temperature", 0, 0), errors)
            yield from _try(disp.text(text, 0, 16), errors)
            yield from _try(disp.text("#%d" % n, 0, 32), errors)
            yield from _try(disp.show(), errors)
        else:
            yield from log.warn("sensor read failed")
        if (yield from _present("watchdog")):      # images without a watchdog run too
            yield from _try(wd.checkin(), errors)
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
