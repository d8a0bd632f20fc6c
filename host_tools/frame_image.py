"""Save a display frame (the display server's ("frame",) reply) as an image.

The frame is MONO_VLSB, the SSD1306's own layout: byte (y // 8) * width + x holds
column x of rows 8*(y//8) .. +7, bit y % 8. Lit pixels come out white on black, as the
panel shows them. PBM (P4) and PNG, standard library only.

    python -m host_tools.frame_image frame.bin out.png [--width 128 --height 64]
"""
import argparse
import struct
import sys
import zlib


def to_rows(frame, width=128, height=64):
    """The frame as a list of rows, each a list of 0/1 (1: lit)."""
    need = ((height + 7) // 8) * width
    if len(frame) < need:
        raise ValueError(f"a {width}x{height} frame needs {need} bytes, got {len(frame)}")
    return [[(frame[(y >> 3) * width + x] >> (y & 7)) & 1 for x in range(width)] for y in range(height)]


def _packed_rows(rows, lit_bit):
    # Rows of 1-bit pixels, MSB first, each row padded to whole bytes.
    out = []
    for row in rows:
        b = bytearray((len(row) + 7) // 8)
        for x, v in enumerate(row):
            if v == lit_bit:
                b[x >> 3] |= 0x80 >> (x & 7)
        out.append(bytes(b))
    return out


def pbm(frame, width=128, height=64):
    """Binary PBM (P4); in PBM 1 is black, so lit pixels are written as 0."""
    rows = to_rows(frame, width, height)
    return b"P4\n%d %d\n" % (width, height) + b"".join(_packed_rows(rows, 0))


def png(frame, width=128, height=64, scale=1):
    """A 1-bit grayscale PNG (lit = white); scale > 1 enlarges each pixel."""
    rows = to_rows(frame, width, height)
    if scale > 1:
        rows = [[v for v in row for _ in range(scale)] for row in rows for _ in range(scale)]
    w, h = width * scale, height * scale
    raw = b"".join(b"\x00" + r for r in _packed_rows(rows, 1))

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)   # 1 bit, grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def save(frame, path, width=128, height=64, scale=1):
    """Write the frame to path; .png gives PNG, anything else PBM."""
    data = png(frame, width, height, scale) if str(path).lower().endswith(".png") else pbm(frame, width, height)
    with open(path, "wb") as f:
        f.write(data)
    return path


def ascii_art(frame, width=128, height=64):
    """The frame as text ('#' lit, '.' dark), for test failure messages."""
    return "\n".join("".join("#" if v else "." for v in row) for row in to_rows(frame, width, height))


def main(argv=None):
    ap = argparse.ArgumentParser(description="save a display frame as PNG or PBM")
    ap.add_argument("frame", help="raw frame bytes (the display server's frame reply)")
    ap.add_argument("out", help="output file (.png or .pbm)")
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--height", type=int, default=64)
    ap.add_argument("--scale", type=int, default=1)
    a = ap.parse_args(argv)
    with open(a.frame, "rb") as f:
        frame = f.read()
    try:
        save(frame, a.out, a.width, a.height, a.scale)
    except ValueError as e:
        print(f"frame_image: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
