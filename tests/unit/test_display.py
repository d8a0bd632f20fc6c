# display server with a fake I2C bus: drawing, frame read-back, what "show" sends, errors;
# and servers/lib/fbcompat.py against MicroPython's own framebuf (where it exists).
# Runs under CPython (pytest) and the MicroPython unix port (mp_runner.py).
from kernel import call, lookup
from servers import display
from servers.lib import fbcompat
from servers.api import display as display_api
from servers.lib.base import ServerError
from srvutil import run, server


class FakeBus:
    # Stands in for the i2c client: records writes; can be told to fail.
    def __init__(self):
        self.writes = []
        self.fail = None

    def write(self, addr, data, bus=0):
        assert bus == 0
        if self.fail:
            raise ServerError(self.fail, "NACK")
        self.writes.append((addr, bytes(data)))
        return len(data)
        yield


def frame_pixel(frame, x, y, width=128):
    return (frame[(y // 8) * width + x] >> (y % 8)) & 1


def test_drawing_and_frame_read_back():
    def body():
        d = display_api.client()
        assert (yield from d.size()) == (128, 64)
        f = yield from d.frame()
        assert type(f) is bytes and len(f) == 1024 and f == bytes(1024)
        yield from d.text("H", 0, 0)
        f = yield from d.frame()
        assert f[:8] == fbcompat.FONT[(ord("H") - 32) * 8:(ord("H") - 31) * 8]
        assert (yield from d.pixel(100, 50)) == 0
        assert (yield from d.pixel(100, 50, 1)) == 1
        assert (yield from d.pixel(200, 50)) is None               # off-screen
        yield from d.line(10, 20, 20, 20)
        yield from d.rect(40, 40, 10, 5)
        yield from d.rect(60, 8, 4, 4, 1, True)
        f = yield from d.frame()
        assert frame_pixel(f, 100, 50) and frame_pixel(f, 15, 20) and not frame_pixel(f, 15, 21)
        assert frame_pixel(f, 40, 40) and frame_pixel(f, 49, 44) and not frame_pixel(f, 45, 42)
        assert all(frame_pixel(f, x, y) for x in range(60, 64) for y in range(8, 12))
        assert f[8 * 0 + 128 * 1 + 60] == 0x0F                     # page 1, rows 8..11
        yield from d.fill(1)
        assert (yield from d.frame()) == b"\xff" * 1024
        yield from d.fill()
        assert (yield from d.frame()) == bytes(1024)
    run(body, [server(display.main, config={"i2c": FakeBus()})])


def test_show_sends_setup_once_then_the_frame():
    bus = FakeBus()

    def body():
        d = display_api.client()
        yield from d.text("ok", 0, 0)
        assert (yield from d.show())
        assert [a for a, _ in bus.writes] == [0x3C, 0x3C, 0x3C]
        setup, window, data = [w for _, w in bus.writes]
        assert setup == display.init_commands(128, 64)
        assert setup[0] == 0x00 and setup[1] == 0xAE and setup[-1] == 0xAF   # off ... on
        assert window == bytes((0x00, 0x21, 0, 127, 0x22, 0, 7))
        assert len(data) == 1025 and data[0] == 0x40
        assert data[1:] == (yield from d.frame())
        yield from d.show()
        assert len(bus.writes) == 5                  # no second setup
        # a bus error is an error reply; the next show sets the panel up again
        bus.fail = "io"
        try:
            yield from d.show()
            assert False
        except ServerError as e:
            assert e.code == "io" and "0x3c" in e.text
        bus.fail = None
        yield from d.show()
        assert bus.writes[5][1] == setup and len(bus.writes) == 8
        assert (yield from d.contrast(10))
        assert bus.writes[-1][1] == bytes((0x00, 0x81, 10))
        assert (yield from d.invert(True))
        assert bus.writes[-1][1] == bytes((0x00, 0xA7))
        assert (yield from d.power(False))
        assert bus.writes[-1][1] == bytes((0x00, 0xAE))
    run(body, [server(display.main, config={"i2c": bus})])


def test_missing_i2c_server_is_an_error_reply():
    def body():
        d = display_api.client()
        try:
            yield from d.show()
            assert False
        except ServerError as e:
            assert e.code == "io", e
        assert (yield from d.text("still", 0, 0))
    from servers.lib.base import Client
    proto = {"write": ((("addr", int), ("data", bytes), ("bus", int)), "n", ())}
    run(body, [server(display.main, config={"i2c": Client(proto, "no-such-i2c", timeout=20)})])


def test_bad_requests():
    def body():
        srv = yield lookup("display")
        for msg in (("text",), ("text", 5), ("pixel", 1), ("pixel", 1, 2, "x"), ("line", 1, 2, 3),
                    ("rect", 0, 0, 1, 1, 1, "yes"), ("contrast", 300), ("show", 1), ("draw",)):
            r = yield call(srv, msg)
            assert type(r) is tuple and r[0] == "err" and r[1] == "badreq", (msg, r)
        assert (yield call(srv, ("pixel", 0, 0, 1))) == 1
    run(body, [server(display.main, config={"i2c": FakeBus()})])


def shapes(fb):
    fb.fill(0)
    fb.text("Hello, 21.5C! ~\x7f", -3, 2, 1)
    fb.text("\u00e9x", 100, 60, 1)
    for x1, y1, x2, y2 in ((0, 0, 127, 63), (127, 0, 0, 63), (5, 60, 40, 1), (64, 10, 64, 50),
                           (3, 33, 120, 33), (-20, -5, 200, 90), (90, 2, 91, 40), (10, 10, 10, 10)):
        fb.line(x1, y1, x2, y2, 1)
    fb.rect(20, 20, 30, 15, 1)
    fb.rect(-5, 50, 20, 30, 1)
    fb.rect(70, 40, 12, 9, 1, True)
    fb.fill_rect(75, 42, 3, 3, 0)
    fb.hline(0, 62, 128, 1)
    fb.vline(126, -10, 100, 1)
    fb.pixel(1, 1, 1)
    fb.pixel(300, 1, 1)


def test_fbcompat_draws_like_framebuf():
    buf = bytearray(1024)
    fb = fbcompat.FrameBuffer(buf, 128, 64, fbcompat.MONO_VLSB)
    shapes(fb)
    # independent checks that hold whatever the reference
    assert fb.pixel(0, 0) == 1 and fb.pixel(127, 63) == 1 and fb.pixel(64, 30) == 1
    assert fb.pixel(76, 43) == 0 and fb.pixel(71, 41) == 1 and fb.pixel(300, 1) is None
    try:
        import framebuf
    except ImportError:
        return                                   # CPython: no reference to compare with
    ref = bytearray(1024)
    shapes(framebuf.FrameBuffer(ref, 128, 64, framebuf.MONO_VLSB))
    diff = [i for i in range(1024) if ref[i] != buf[i]]
    assert not diff, "first differing byte %d: %02x != %02x" % (diff[0], buf[diff[0]], ref[diff[0]])
