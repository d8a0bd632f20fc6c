# display: an SSD1306 128x64 OLED, drawn in a framebuffer (MONO_VLSB, the panel's own
# layout) and sent to the panel on "show". The server is a client of the i2c server: it
# never owns the bus, so the panel can share it with sensors.
#
# Drawing ops change only the buffer; "show" sends the whole buffer (one 1025-byte I2C
# write, after the setup commands on first use) and "frame" returns it, so a test or
# the host (host_tools/frame_image.py) can see exactly what the panel shows.
try:
    import framebuf
except ImportError:              # CPython, or a firmware built without framebuf
    from servers.lib import fbcompat as framebuf
import kernel
from servers.lib.base import serve, configure, ServerError, BADREQ, IO, UNAVAIL
from servers.api.display import PROTOCOL


# SSD1306 commands (datasheet section 9; the same setup as micropython-lib's ssd1306.py).
SET_CONTRAST = 0x81
SET_ENTIRE_ON = 0xA4
SET_NORM_INV = 0xA6
SET_DISP = 0xAE
SET_MEM_ADDR = 0x20
SET_COL_ADDR = 0x21
SET_PAGE_ADDR = 0x22
SET_DISP_START_LINE = 0x40
SET_SEG_REMAP = 0xA0
SET_MUX_RATIO = 0xA8
SET_IREF_SELECT = 0xAD
SET_COM_OUT_DIR = 0xC0
SET_DISP_OFFSET = 0xD3
SET_COM_PIN_CFG = 0xDA
SET_DISP_CLK_DIV = 0xD5
SET_PRECHARGE = 0xD9
SET_VCOM_DESEL = 0xDB
SET_CHARGE_PUMP = 0x8D

CMD_STREAM = 0x00               # control byte: every following byte is a command
DATA_STREAM = 0x40              # control byte: every following byte is display RAM


def init_commands(width, height, external_vcc=False):
    return bytes((
        CMD_STREAM,
        SET_DISP,                                   # off while setting up
        SET_MEM_ADDR, 0x00,                         # horizontal addressing
        SET_DISP_START_LINE,
        SET_SEG_REMAP | 0x01,                       # column 127 is SEG0
        SET_MUX_RATIO, height - 1,
        SET_COM_OUT_DIR | 0x08,                     # scan from COM[N] to COM0
        SET_DISP_OFFSET, 0x00,
        SET_COM_PIN_CFG, 0x02 if width > 2 * height else 0x12,
        SET_DISP_CLK_DIV, 0x80,
        SET_PRECHARGE, 0x22 if external_vcc else 0xF1,
        SET_VCOM_DESEL, 0x30,
        SET_CONTRAST, 0xFF,
        SET_ENTIRE_ON,                              # follow RAM
        SET_NORM_INV,
        SET_IREF_SELECT, 0x30,
        SET_CHARGE_PUMP, 0x10 if external_vcc else 0x14,
        SET_DISP | 0x01,                            # on
    ))


class Display:
    def __init__(self, bus, addr=0x3C, width=128, height=64, external_vcc=False, bus_id=0):
        # bus: an i2c client (servers/i2c.py) or anything with the same
        # write(addr, data, bus_id) generator method.
        self.bus = bus
        self.bus_id = bus_id
        self.addr = addr
        self.width = width
        self.height = height
        self.external_vcc = external_vcc
        pages = height // 8
        # One buffer: the data control byte, then the frame, so "show" is one write
        # with nothing copied.
        self.out = bytearray(1 + width * pages)
        self.out[0] = DATA_STREAM
        self.buf = memoryview(self.out)[1:]
        self.fb = framebuf.FrameBuffer(self.buf, width, height, framebuf.MONO_VLSB)
        self.window = bytes((CMD_STREAM, SET_COL_ADDR, 0, width - 1, SET_PAGE_ADDR, 0, pages - 1))
        self.ready = False          # panel set up (again after any bus error)
        self.shows = 0

    def _send(self, data):
        try:
            yield from self.bus.write(self.addr, data, self.bus_id)
        except ServerError as e:
            self.ready = False
            if e.code in (IO, UNAVAIL):
                raise ServerError(e.code, "display at 0x%02x: %s" % (self.addr, e.text))
            raise ServerError(IO, "display at 0x%02x: %s" % (self.addr, e))
        except kernel.IPCError as e:  # the i2c server died or timed out: say so, keep serving
            self.ready = False
            raise ServerError(IO, "display at 0x%02x: i2c server: %s %s"
                              % (self.addr, type(e).__name__, e))

    def _setup(self):
        if not self.ready:
            yield from self._send(init_commands(self.width, self.height, self.external_vcc))
            self.ready = True

    def _command(self, *cmds):
        yield from self._setup()
        yield from self._send(bytes((CMD_STREAM,) + cmds))
        return True

    # --- drawing: the buffer only ---------------------------------------------------

    def op_text(self, sender, s, x, y, c):
        self.fb.text(s, x, y, c)
        return True

    def op_pixel(self, sender, x, y, c):
        if c is not None:
            if type(c) is not int:
                raise ServerError(BADREQ, "pixel: c must be int")
            self.fb.pixel(x, y, c)
        return self.fb.pixel(x, y)

    def op_line(self, sender, x1, y1, x2, y2, c):
        self.fb.line(x1, y1, x2, y2, c)
        return True

    def op_rect(self, sender, x, y, w, h, c, fill):
        if fill:
            self.fb.fill_rect(x, y, w, h, c)
        else:
            self.fb.rect(x, y, w, h, c)
        return True

    def op_fill(self, sender, c):
        self.fb.fill(c)
        return True

    def op_frame(self, sender):
        return bytes(self.buf)

    def op_size(self, sender):
        return (self.width, self.height)

    # --- the panel ------------------------------------------------------------------

    def op_show(self, sender):
        return self._show()

    def _show(self):
        yield from self._setup()
        yield from self._send(self.window)
        yield from self._send(self.out)
        self.shows += 1
        return True

    def op_power(self, sender, on):
        return self._command(SET_DISP | (1 if on else 0))

    def op_contrast(self, sender, value):
        if not 0 <= value <= 255:
            raise ServerError(BADREQ, "contrast is 0..255")
        return self._command(SET_CONTRAST, value)

    def op_invert(self, sender, on):
        return self._command(SET_NORM_INV | (1 if on else 0))


# i2c: the i2c server's name (or a stand-in object, for tests); bus, addr: where the
# SSD1306 sits on it.
CONFIG = {"i2c": "i2c", "bus": 0, "addr": 0x3C, "width": 128, "height": 64, "external_vcc": False}


def main(name="display", **config):
    c = configure(CONFIG, config, name)
    i2c = c["i2c"]
    if type(i2c) is str:
        from servers.api import i2c as i2c_api

        i2c = i2c_api.client(i2c)
    yield from serve(PROTOCOL, Display(i2c, c["addr"], c["width"], c["height"], c["external_vcc"],
                                       c["bus"]), name)


