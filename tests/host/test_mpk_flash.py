"""mpk flash: UF2 / ESP image checks, the BOOTSEL drive, esptool, and the firmware cache."""
import os
import struct

import pytest

from host_tools import flash as F
from host_tools.errors import MpkError
from mpk_fixtures import assert_one_line_error, run_mpk


def uf2(path, family=F.RP2040_FAMILY, blocks=4, flags=F.UF2_FLAG_FAMILY, corrupt_block=None, drop=None):
    out = bytearray()
    for i in range(blocks):
        if drop is not None and i == drop:
            continue
        b = struct.pack("<8I", F.UF2_MAGIC0, F.UF2_MAGIC1, flags, 0x10000000 + 256 * i, 256, i, blocks, family)
        b += bytes([i & 0xFF]) * 476 + struct.pack("<I", F.UF2_MAGIC_END)
        if corrupt_block == i:
            b = b[:508] + b"\0\0\0\0"
        out += b
    path.write_bytes(bytes(out))
    return str(path)


def esp_image(path, chip="esp32"):
    """A small well-formed ESP image: header, extended header, 2 segments, checksum, sha256."""
    import hashlib

    chip_id = {"esp32": 0, "esp32s3": 9, "esp32c3": 5}[chip]
    segs = [(0x3FFB0000, b"\x01" * 64), (0x40080000, b"\x02" * 128)]
    out = bytearray(struct.pack("<BBBBI", 0xE9, len(segs), 2, 0x20, 0x40080000))
    out += struct.pack("<BBBBHBHH", 0xEE, 0, 0, 0, chip_id, 0, 0, 0xFFFF) + b"\0" * 4 + b"\x01"
    csum = 0xEF
    for addr, data in segs:
        out += struct.pack("<II", addr, len(data)) + data
        for c in data:
            csum ^= c
    out += b"\0" * (15 - len(out) % 16) + bytes([csum])
    out += hashlib.sha256(out).digest()
    path.write_bytes(bytes(out))
    return str(path)


def test_uf2_valid(tmp_path):
    info = F.check_uf2(uf2(tmp_path / "fw.uf2"), chip="rp2040")
    assert info == {"family": ["rp2040"], "blocks": 4, "bytes": 1024}


@pytest.mark.parametrize("kw,msg", [
    ({"corrupt_block": 2}, "block 2 has bad UF2 magic"),
    ({"drop": 1}, "3 of 4 blocks"),
    ({"family": 0x1C5F21B0}, "another chip"),
    ({"flags": 0}, "no UF2 family id"),
])
def test_uf2_refused(tmp_path, kw, msg):
    with pytest.raises(MpkError, match=msg):
        F.check_uf2(uf2(tmp_path / "fw.uf2", **kw))


def test_uf2_truncated_and_not_uf2(tmp_path):
    p = tmp_path / "cut.uf2"
    p.write_bytes(open(uf2(tmp_path / "x.uf2"), "rb").read()[:700])
    with pytest.raises(MpkError, match="truncated"):
        F.check_uf2(str(p))
    t = tmp_path / "notes.uf2"
    t.write_text("hello\n" * 200)
    with pytest.raises(MpkError, match="not a UF2 firmware file .*text file"):
        F.check_uf2(str(t))


def test_uf2_family_must_fit_chip(tmp_path):
    p = uf2(tmp_path / "p2.uf2", family=0xE48BFF59)
    assert F.check_uf2(p)["family"] == ["rp2350-arm-s"]
    with pytest.raises(MpkError, match="not the RP2040"):
        F.check_uf2(p, chip="rp2040")
    with pytest.raises(MpkError, match="not the RP2350"):
        F.check_uf2(uf2(tmp_path / "p1.uf2"), chip="rp2350")


def test_esp_image_checks(tmp_path):
    info = F.check_esp(esp_image(tmp_path / "fw.bin"))
    assert info["chip"] == "esp32" and info["offset"] == 0x1000
    s3 = esp_image(tmp_path / "s3.bin", chip="esp32s3")
    assert F.check_esp(s3)["offset"] == 0
    with pytest.raises(MpkError, match="esp32s3, not the esp32"):
        F.check_esp(s3, chip="esp32")
    cut = tmp_path / "cut.bin"
    cut.write_bytes(open(tmp_path / "fw.bin", "rb").read()[:60])
    with pytest.raises(MpkError, match="corrupt"):
        F.check_esp(str(cut))
    with pytest.raises(MpkError, match="not an ESP32 firmware image .*UF2"):
        F.check_esp(uf2(tmp_path / "a.uf2"))


def fake_drive(tmp_path, board_id="RPI-RP2"):
    d = tmp_path / "RPI-RP2"
    d.mkdir()
    (d / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: %s\n" % board_id)
    return d


def test_flash_uf2_to_drive(tmp_path):
    d = fake_drive(tmp_path)
    fw = uf2(tmp_path / "RPI_PICO-v1.29.0.uf2")
    r = F.flash_uf2(fw, drive=str(d), log=lambda *a: None)
    assert r["board_id"] == "RPI-RP2"
    assert (d / "RPI_PICO-v1.29.0.uf2").read_bytes() == open(fw, "rb").read()


def test_flash_wrong_family_writes_nothing(tmp_path):
    d = fake_drive(tmp_path)
    fw = uf2(tmp_path / "p2.uf2", family=0xE48BFF59)
    with pytest.raises(MpkError, match="not the RP2040"):
        F.flash_uf2(fw, drive=str(d), log=lambda *a: None)
    assert os.listdir(d) == ["INFO_UF2.TXT"]


def test_flash_no_bootsel_drive(tmp_path, monkeypatch):
    with pytest.raises(MpkError, match="not a Pico in BOOTSEL"):
        F.flash_uf2(uf2(tmp_path / "a.uf2"), drive=str(tmp_path), log=lambda *a: None)
    monkeypatch.setattr(F, "_mount_points", lambda: [str(tmp_path)])
    with pytest.raises(MpkError, match="no Pico in BOOTSEL mode found"):
        F.flash_uf2(uf2(tmp_path / "a.uf2"), log=lambda *a: None)
    monkeypatch.setattr(F, "_mount_points", lambda: [str(fake_drive(tmp_path))])
    assert F.flash_uf2(uf2(tmp_path / "b.uf2"), log=lambda *a: None)["drive"].endswith("RPI-RP2")


def test_flash_esp_runs_esptool(tmp_path):
    fw = esp_image(tmp_path / "fw.bin")
    calls = []
    F.flash_esp(fw, port="/dev/ttyUSB9", erase=True, log=lambda *a: None,
                runner=lambda cmd: (calls.append(cmd), (0, ""))[1])
    assert [c[c.index("--baud") + 2] for c in calls] == ["erase-flash", "write-flash"]
    assert calls[1][-2:] == ["0x1000", fw] and "--port" in calls[1] and "esp32" in calls[1]
    with pytest.raises(MpkError, match="esptool failed on /dev/ttyUSB9: A fatal error occurred"):
        F.flash_esp(fw, port="/dev/ttyUSB9", log=lambda *a: None,
                    runner=lambda cmd: (2, "A fatal error occurred: Failed to connect"))


def test_cli_refuses_wrong_files(tmp_path):
    t = tmp_path / "main.py"
    t.write_text("print(1)\n")
    assert_one_line_error(run_mpk("flash", str(t)), "not a UF2 firmware file", "text file")
    fw = esp_image(tmp_path / "fw.bin")
    assert_one_line_error(run_mpk("flash", "--board", "pico", fw), "ESP32 image", "pico")
    u = uf2(tmp_path / "x.uf2")
    assert_one_line_error(run_mpk("flash", "--board", "esp32", u), "UF2", "esp32")
    assert_one_line_error(run_mpk("flash", str(tmp_path / "missing.uf2")), "cannot read")
    d = fake_drive(tmp_path)
    bad = uf2(tmp_path / "bad.uf2", corrupt_block=3)
    assert_one_line_error(run_mpk("flash", "--drive", str(d), bad), "corrupt")
    assert os.listdir(d) == ["INFO_UF2.TXT"]


def test_cli_flash_uf2_and_check(tmp_path):
    d = fake_drive(tmp_path)
    u = uf2(tmp_path / "RPI_PICO-v1.29.0.uf2")
    p = run_mpk("flash", "--check", u)
    assert p.returncode == 0 and "rp2040" in p.stdout
    p = run_mpk("flash", "--drive", str(d), u)
    assert p.returncode == 0, p.stderr
    assert (d / "RPI_PICO-v1.29.0.uf2").exists()


# --- newest official firmware: selection in the cache, download through a fake ---------------
def test_newest_cached_selection(tmp_path):
    rp2 = tmp_path / "rp2"
    rp2.mkdir()
    for n in ["RPI_PICO-v1.24.0.uf2", "RPI_PICO-v1.29.0.uf2", "RPI_PICO-v1.30.0-preview.5.uf2",
              "RPI_PICO_W-v1.31.0.uf2", "RPI_PICO-20250101-v1.28.1.uf2", "RPI_PICO-v1.9.4.uf2"]:
        (rp2 / n).write_bytes(b"x")
    assert F.newest_cached("pico", tmp_path).name == "RPI_PICO-v1.29.0.uf2"
    assert F.newest_cached("pico", tmp_path, preview=True).name == "RPI_PICO-v1.30.0-preview.5.uf2"
    assert F.newest_cached("pico_w", tmp_path).name == "RPI_PICO_W-v1.31.0.uf2"
    assert F.newest_cached("esp32", tmp_path) is None
    with pytest.raises(MpkError, match="unknown board"):
        F.newest_cached("arduino", tmp_path)


def test_firmware_for_board_downloads_then_caches(tmp_path):
    got = []

    def fake_download(board, cache):
        got.append(board)
        (cache / "rp2").mkdir(exist_ok=True)
        (cache / "rp2" / "RPI_PICO-v1.29.0.uf2").write_bytes(b"x")

    assert F.firmware_for_board("pico", cache=tmp_path, downloader=fake_download).name == "RPI_PICO-v1.29.0.uf2"

    def offline(board, cache):
        raise MpkError("cannot download MicroPython for pico (Could not connect): pass a FIRMWARE file instead")

    notes = []
    p = F.firmware_for_board("pico", cache=tmp_path, downloader=offline, log=notes.append)
    assert p.name == "RPI_PICO-v1.29.0.uf2" and "using the cached" in notes[0]
    with pytest.raises(MpkError, match="cannot download"):
        F.firmware_for_board("pico_w", cache=tmp_path, downloader=offline)
    assert F.firmware_for_board("pico", cache=tmp_path, offline=True, downloader=None).exists()


def test_cli_flash_board_offline_is_one_line(tmp_path):
    # No network here: mpflash cannot reach micropython.org and nothing is cached.
    p = run_mpk("flash", "--board", "pico", env={"MPK_FIRMWARE_CACHE": str(tmp_path / "c"),
                                                "MPFLASH_FIRMWARE": str(tmp_path / "c")}, timeout=120)
    assert_one_line_error(p, "pico")
