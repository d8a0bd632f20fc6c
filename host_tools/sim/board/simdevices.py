# Simulated devices behind the virtual boards' buses, one definition for both engines:
# the unix-port board calls them from its simulated machine.I2C, the emulated RP2040
# (host_tools/sim/rp2040) from the host, byte by byte as its I2C controller clocks them.
# Each device sees what a real one sees on the wire: start() at every START or repeated
# START, write(data) for the bytes of an addressed write, read(n) for the next n bytes of
# an addressed read (so read(1) twice equals read(2) once). Register pointers behave as
# on the datasheets.


class Device:
    rd = 0              # bytes read since the last START

    def start(self):
        self.rd = 0

    def _word_bytes(self, r, n):
        # A 16-bit register read MSB first, repeating, continuing the transaction.
        out = bytearray(n)
        for i in range(n):
            out[i] = (r >> 8) if (self.rd + i) % 2 == 0 else r & 0xFF
        self.rd += n
        return bytes(out)


class TMP102(Device):
    # TI TMP102: pointer register, 12-bit temperature (0.0625 C/LSB, left aligned).
    def __init__(self, temp_c=25.0):
        self.temp_c = temp_c
        self.ptr = 0
        self.regs = [0, 0x60A0, 0x4B00, 0x5000]  # temp, config, T_LOW 75C, T_HIGH 80C

    def write(self, data):
        if data:
            self.ptr = data[0] & 3
            if len(data) >= 3 and self.ptr:
                self.regs[self.ptr] = data[1] << 8 | data[2]

    def read(self, n):
        if self.ptr == 0 and self.rd == 0:      # latched at the start of the read
            v = int(round(self.temp_c / 0.0625)) & 0xFFF
            self.regs[0] = v << 4
        return self._word_bytes(self.regs[self.ptr], n)


class MCP9808(Device):
    # Microchip MCP9808: 16-bit registers, ambient temperature in register 5.
    def __init__(self, temp_c=25.0):
        self.temp_c = temp_c
        self.ptr = 0
        self.regs = {1: 0, 2: 0, 3: 0, 4: 0, 6: 0x0054, 7: 0x0400, 8: 3}

    def write(self, data):
        if data:
            self.ptr = data[0] & 0xF
            if len(data) >= 3 and self.ptr in (1, 2, 3, 4):
                self.regs[self.ptr] = data[1] << 8 | data[2]
            elif len(data) >= 2 and self.ptr == 8:
                self.regs[8] = data[1] & 3

    def read(self, n):
        if self.ptr == 5:
            r = int(round(self.temp_c * 16)) & 0x1FFF
        else:
            r = self.regs.get(self.ptr, 0)
        return self._word_bytes(r, n)


class EEPROM24C32(Device):
    # 24C32: 4 KiB, two address bytes, 32-byte pages (a write wraps inside its
    # page), sequential reads wrap at the end of memory. Contents survive resets
    # when a backing file is given.
    SIZE = 4096
    PAGE = 32

    def __init__(self, path=None):
        # Opened now: once the flash is mounted at / the host's files are out of reach.
        self.f = open(path, "r+b") if path else None
        self.ptr = 0
        self.mem = bytearray(b"\xff" * self.SIZE)
        if self.f:
            self.f.readinto(self.mem)

    def write(self, data):
        if len(data) < 2:
            if data:
                self.ptr = (data[0] << 8) & (self.SIZE - 1)
            return
        self.ptr = (data[0] << 8 | data[1]) & (self.SIZE - 1)
        if len(data) == 2:
            return
        base = self.ptr & ~(self.PAGE - 1)
        off = self.ptr - base
        for b in data[2:]:
            self.mem[base + off] = b
            off = (off + 1) % self.PAGE
        self.ptr = base + off
        if self.f:
            self.f.seek(base)
            self.f.write(self.mem[base:base + self.PAGE])

    def read(self, n):
        out = bytearray(n)
        p = self.ptr
        for i in range(n):
            out[i] = self.mem[p]
            p = (p + 1) % self.SIZE
        self.ptr = p
        return bytes(out)


class SSD1306(Device):
    # Solomon SSD1306 128x64 OLED controller on I2C: a control byte starts each
    # transaction (0x00 commands follow, 0x40 display data follows). Data lands in the
    # 1 KiB GDDRAM (8 pages of 128 column bytes, bit 0 the top row) at the column/page
    # window set by commands 0x21/0x22, horizontal addressing mode, as micropython-lib's
    # ssd1306 driver uses it. `ram` is what the panel would show once `on` is True.
    WIDTH = 128
    PAGES = 8
    ARGS = {0x20: 1, 0x21: 2, 0x22: 2, 0x81: 1, 0x8D: 1, 0xA8: 1, 0xD3: 1, 0xD5: 1,
            0xD9: 1, 0xDA: 1, 0xDB: 1}

    def __init__(self, temp_c=None):
        self.ram = bytearray(self.WIDTH * self.PAGES)
        self.on = False
        self.contrast = 0x7F
        self.inverted = False
        self.col0, self.col1, self.page0, self.page1 = 0, self.WIDTH - 1, 0, self.PAGES - 1
        self.col, self.page = 0, 0
        self.frames = 0          # data transactions received

    def write(self, data):
        if not data:
            return
        if data[0] & 0x40:
            self._data(data[1:])
        else:
            self._commands(data[1:])

    def read(self, n):
        # A read returns the status byte: bit 6 set while the display is off.
        return bytes(((0 if self.on else 0x40),)) * n

    def _commands(self, cmds):
        i = 0
        while i < len(cmds):
            c = cmds[i]
            args = cmds[i + 1:i + 1 + self.ARGS.get(c, 0)]
            i += 1 + self.ARGS.get(c, 0)
            if c in (0xAE, 0xAF):
                self.on = c == 0xAF
            elif c in (0xA6, 0xA7):
                self.inverted = c == 0xA7
            elif c == 0x81 and args:
                self.contrast = args[0]
            elif c == 0x21 and len(args) == 2:
                self.col0, self.col1 = args[0] & 0x7F, args[1] & 0x7F
                self.col = self.col0
            elif c == 0x22 and len(args) == 2:
                self.page0, self.page1 = args[0] & 7, args[1] & 7
                self.page = self.page0

    def _data(self, data):
        self.frames += 1
        for b in data:
            self.ram[self.page * self.WIDTH + self.col] = b
            self.col += 1
            if self.col > self.col1:
                self.col = self.col0
                self.page += 1
                if self.page > self.page1:
                    self.page = self.page0


DEVICES = {"tmp102": TMP102, "mcp9808": MCP9808, "24c32": EEPROM24C32, "ssd1306": SSD1306}


def make(spec):
    kind = spec["device"]
    if kind == "24c32":
        return EEPROM24C32(spec.get("file"))
    return DEVICES[kind](spec.get("temp_c", 25.0))


# --- UART backends ----------------------------------------------------------

class Loopback:
    # TX wired to RX.
    def __init__(self):
        self.rx = b""

    def send(self, b):
        self.rx += b

    def poll(self):
        pass

    def close(self):
        pass


class SocketLink:
    # The UART's other end is a TCP server on the host (a test, a terminal).
    def __init__(self, host, port):
        import socket
        self.rx = b""
        self.s = socket.socket()
        self.s.connect(socket.getaddrinfo(host, port)[0][-1])
        self.s.setblocking(False)

    def send(self, b):
        self.s.setblocking(True)
        self.s.write(b)
        self.s.setblocking(False)

    def poll(self):
        try:
            d = self.s.recv(256)
        except OSError:
            return
        if d:
            self.rx += d

    def close(self):
        self.s.close()


