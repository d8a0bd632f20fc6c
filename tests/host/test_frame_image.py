"""host_tools.frame_image: a display frame saved as PNG / PBM decodes back to the same pixels."""
import struct
import zlib

import pytest

from host_tools import frame_image
from servers.lib import fbcompat


def drawn_frame():
    buf = bytearray(1024)
    fb = fbcompat.FrameBuffer(buf, 128, 64)
    fb.text("21.5C", 0, 0, 1)
    fb.line(0, 63, 127, 10, 1)
    fb.pixel(127, 0, 1)
    return bytes(buf), fb


def decode_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + n
    w, h, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (1, 0)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = (w + 7) // 8 + 1
    rows = []
    for y in range(h):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0                     # filter: none
        rows.append([(line[1 + (x >> 3)] >> (7 - (x & 7))) & 1 for x in range(w)])
    return w, h, rows


def test_png_round_trip_matches_the_framebuffer():
    frame, fb = drawn_frame()
    w, h, rows = decode_png(frame_image.png(frame))
    assert (w, h) == (128, 64)
    assert rows == [[fb.pixel(x, y) for x in range(128)] for y in range(64)]
    assert rows[0][127] == 1 and rows[63][0] == 1 and rows[40][0] == 0


def test_png_scale_and_pbm(tmp_path):
    frame, fb = drawn_frame()
    w, h, rows = decode_png(frame_image.png(frame, scale=2))
    assert (w, h) == (256, 128) and rows[1][255] == 1 and rows[0][253] == 0
    p = frame_image.save(frame, tmp_path / "f.pbm")
    data = p.read_bytes()
    assert data.startswith(b"P4\n128 64\n")
    bits = data[len(b"P4\n128 64\n"):]
    assert len(bits) == 16 * 64
    # PBM: 1 is black, so a lit pixel is a 0 bit
    assert (bits[0 * 16 + 15] & 1) == 0 and (bits[40 * 16] >> 7) == 1


def test_cli_and_short_frame(tmp_path, capsys):
    frame, _ = drawn_frame()
    (tmp_path / "frame.bin").write_bytes(frame)
    assert frame_image.main([str(tmp_path / "frame.bin"), str(tmp_path / "out.png")]) == 0
    assert decode_png((tmp_path / "out.png").read_bytes())[0] == 128
    (tmp_path / "short.bin").write_bytes(frame[:100])
    assert frame_image.main([str(tmp_path / "short.bin"), str(tmp_path / "x.png")]) == 1
    assert "needs 1024 bytes" in capsys.readouterr().err
    with pytest.raises(ValueError):
        frame_image.to_rows(b"\x00" * 10)


def test_ascii_art():
    frame, _ = drawn_frame()
    art = frame_image.ascii_art(frame).split("\n")
    assert len(art) == 64 and art[0][127] == "#" and art[63][0] == "#"
