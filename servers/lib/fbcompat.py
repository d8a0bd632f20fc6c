# The part of MicroPython's `framebuf` the display server draws with, in Python, for
# where the built-in module is missing (CPython unit tests; firmware built without it).
# Only MONO_VLSB, the SSD1306's layout: byte (y // 8) * width + x holds 8 pixels of
# column x, bit y % 8. Pixel for pixel the same as extmod/modframebuf.c (the unit tests
# compare the two under the MicroPython unix port), font included.
MONO_VLSB = 0

# font_petme128_8x8 (extmod/font_petme128_8x8.h) for chars 32..127: 8 column bytes each.
FONT = bytes.fromhex(
    "00000000000000000000004f4f0000000007070000070700147f7f14147f7f1400242e6b6b3a1200"
    "006333180c66630000327f4d4d777250000000040603010000001c3e63410000000041633e1c0000"
    "082a3e1c1c3e2a080008083e3e080800000080e0600000000008080808080800000000606000000000"
    "406030180c0602003e7f49457f3e000040447f7f40400000627351494f460000226349497f36000018"
    "1814167f7f1000276745457d3900003e7f49497b3200000303797d07030000367f49497f360000266f"
    "49497f3e000000002424000000000080e46400000000081c3663414100001414141414140000414163"
    "361c080000020351590f0600003e7f414d4f2e00007c7e0b0b7e7c00007f7f49497f3600003e7f4141"
    "632200007f7f41633e1c00007f7f4949414100007f7f0909010100003e7f41497b3a00007f7f08087f"
    "7f000000417f7f410000002060417f3f0100007f7f1c36634100007f7f4040404000007f7f060c067f"
    "7f007f7f0e1c7f7f00003e7f41417f3e00007f7f09090f0600001e3f21617f5e00007f7f19396f4600"
    "00266f49497b32000001017f7f010100003f7f40407f3f00001f3f60603f1f00007f7f3018307f7f00"
    "63771c1c77630000070f78780f0700006171594d47430000007f7f414100000002060c183060400000"
    "41417f7f000000080c06060c0800c0c0c0c0c0c0c0c0000001030604000000207454547c7800007f7f"
    "44447c380000387c44446c280000387c44447f7f0000387c54545c580000087e7f090302000098bca4"
    "a4fc7c00007f7f04047c78000000007d7d0000000040c08080fd7d00007f7f30386c44000000417f7f"
    "400000007c7c1830187c7c007c7c04047c780000387c44447c380000fcfc24243c180000183c2424fc"
    "fc00007c7c04040c080000485c545474200004043f7f44642000003c7c40407c3c00001c3c60603c1c"
    "00001c7c3018307c1c00446c38386c4400009cbca0a0fc7c00004464745c4c44000008083e77414100"
    "000000ffff000000004141773e0808000002030103020301aa55aa55aa55aa55")


class FrameBuffer:
    def __init__(self, buf, width, height, fmt=MONO_VLSB):
        if fmt != MONO_VLSB:
            raise ValueError("only MONO_VLSB is supported here")
        if len(buf) < ((height + 7) // 8) * width:
            raise ValueError("buffer too small")
        self.buf = buf
        self.width = width
        self.height = height

    def _set(self, x, y, c):
        i = (y >> 3) * self.width + x
        b = 1 << (y & 7)
        self.buf[i] = (self.buf[i] | b) if c else (self.buf[i] & ~b & 0xFF)

    def pixel(self, x, y, c=None):
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        if c is None:
            return (self.buf[(y >> 3) * self.width + x] >> (y & 7)) & 1
        self._set(x, y, c)

    def fill_rect(self, x, y, w, h, c):
        if h < 1 or w < 1 or x + w <= 0 or y + h <= 0 or y >= self.height or x >= self.width:
            return
        xend = min(self.width, x + w)
        yend = min(self.height, y + h)
        x = max(x, 0)
        y = max(y, 0)
        for yy in range(y, yend):
            for xx in range(x, xend):
                self._set(xx, yy, c)

    def fill(self, c):
        v = 0xFF if c else 0
        n = ((self.height + 7) // 8) * self.width
        for i in range(n):
            self.buf[i] = v

    def hline(self, x, y, w, c):
        self.fill_rect(x, y, w, 1, c)

    def vline(self, x, y, h, c):
        self.fill_rect(x, y, 1, h, c)

    def rect(self, x, y, w, h, c, f=False):
        if f:
            self.fill_rect(x, y, w, h, c)
        else:
            self.fill_rect(x, y, w, 1, c)
            self.fill_rect(x, y + h - 1, w, 1, c)
            self.fill_rect(x, y, 1, h, c)
            self.fill_rect(x + w - 1, y, 1, h, c)

    def line(self, x1, y1, x2, y2, c):
        # Bresenham, step for step as modframebuf.c draws it.
        dx = x2 - x1
        sx = 1 if dx > 0 else -1
        dx = abs(dx)
        dy = y2 - y1
        sy = 1 if dy > 0 else -1
        dy = abs(dy)
        steep = dy > dx
        if steep:
            x1, y1 = y1, x1
            dx, dy = dy, dx
            sx, sy = sy, sx
        e = 2 * dy - dx
        for _ in range(dx):
            px, py = (y1, x1) if steep else (x1, y1)
            if 0 <= px < self.width and 0 <= py < self.height:
                self._set(px, py, c)
            while e >= 0:
                y1 += sy
                e -= 2 * dx
            x1 += sx
            e += 2 * dy
        if 0 <= x2 < self.width and 0 <= y2 < self.height:
            self._set(x2, y2, c)

    def text(self, s, x0, y0, c=1):
        for ch in s.encode():
            if ch < 32 or ch > 127:
                ch = 127
            base = (ch - 32) * 8
            for j in range(8):
                if 0 <= x0 < self.width:
                    col = FONT[base + j]
                    y = y0
                    while col:
                        if col & 1 and 0 <= y < self.height:
                            self._set(x0, y, c)
                        col >>= 1
                        y += 1
                x0 += 1
