# display server on the board: drawing through IPC, the frame read back byte for byte
# against the board's own framebuf, and "show" going out through the i2c server.
import hil
from servers.api import display, i2c
from servers.lib.base import ServerError

try:
    import framebuf
except ImportError:
    from servers.lib import fbcompat as framebuf

HIL_TIMEOUT_S = 20
SERVERS = ("i2c", {"name": "display", "config": {"i2c": "i2c", "bus": 0, "addr": 0x3C}})


def expected():
    buf = bytearray(1024)
    fb = framebuf.FrameBuffer(buf, 128, 64, framebuf.MONO_VLSB)
    fb.text("mpk 21.5C", 0, 0, 1)
    fb.line(0, 63, 127, 16, 1)
    fb.rect(100, 30, 20, 10, 1)
    fb.fill_rect(2, 40, 8, 8, 1)
    fb.pixel(127, 0, 1)
    return bytes(buf)


def test_frame_contents():
    def body():
        d = display.client()
        yield from d.fill(0)
        yield from d.text("mpk 21.5C", 0, 0)
        yield from d.line(0, 63, 127, 16)
        yield from d.rect(100, 30, 20, 10)
        yield from d.rect(2, 40, 8, 8, 1, True)
        assert (yield from d.pixel(127, 0, 1)) == 1
        frame = yield from d.frame()
        assert frame == expected()
        assert frame[127] & 1 and any(frame[:72])     # the pixel; the text's columns
    hil.run(body, servers=SERVERS)


def test_show_goes_through_the_i2c_server():
    sb = hil.board_sim()

    def body():
        d = display.client()
        present = 0x3C in (yield from i2c.client().scan())
        assert sb is None or present            # the virtual board has a panel at 0x3C
        before = (yield from i2c.client().stats())["transactions"]
        yield from d.fill(0)
        yield from d.text("hi", 0, 0)
        yield from d.pixel(127, 63, 1)
        try:
            assert (yield from d.show()) is True
            assert present
            after = (yield from i2c.client().stats())["transactions"]
            assert after - before >= 3                 # setup, window, frame
            if sb is not None:                         # what the panel now shows
                panel = sb.i2c_device(0, 0x3C)
                assert panel.on
                assert bytes(panel.ram) == bytes((yield from d.frame()))
                assert panel.ram[7 * 128 + 127] & 0x80     # the bottom-right pixel
        except ServerError as e:
            # no panel on this bus (a real board without one): a clean error
            assert not present and e.code == "io" and "0x3c" in e.text, e
        assert (yield from d.text("still serving", 0, 8))
    hil.run(body, servers=SERVERS)
