"""`mpk flash`: MicroPython onto a Pico (UF2 copy to the BOOTSEL drive) or an ESP32 (esptool).

Every file is checked before anything is written: a UF2 must have the UF2 magic numbers in
every 512-byte block, consistent block numbers and the right family id; an ESP image must
start with the 0xE9 header of the right chip. The newest official firmware for a board is
downloaded with mpflash into a cache (`$MPK_FIRMWARE_CACHE`, default ~/.cache/mpk/firmware).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

from host_tools import board_defs
from host_tools.errors import MpkError

UF2_MAGIC0 = 0x0A324655
UF2_MAGIC1 = 0x9E5D5157
UF2_MAGIC_END = 0x0AB16F30
UF2_FLAG_NOT_MAIN_FLASH = 0x00000001
UF2_FLAG_FAMILY = 0x00002000
FAMILIES = {
    0xE48BFF56: "rp2040",
    0xE48BFF57: "rp2xxx-absolute",
    0xE48BFF58: "rp2xxx-data",
    0xE48BFF59: "rp2350-arm-s",
    0xE48BFF5A: "rp2350-riscv",
    0xE48BFF5B: "rp2350-arm-ns",
}
RP2040_FAMILY = 0xE48BFF56
RP2350_FAMILIES = {0xE48BFF59, 0xE48BFF5A, 0xE48BFF5B}

ESP_MAGIC = 0xE9

# What each board is flashed with (mpflash port, MicroPython board id, file kind) is its
# FIRMWARE in boards/<name>.py, the chip its MCU: host_tools/board_defs.firmware(name).


# ---------------------------------------------------------------------------- checks
def check_uf2(path, chip=None):
    """Validate a UF2 file; returns {'family', 'blocks', 'bytes'}. chip: 'rp2040'/'rp2350'/None."""
    name = os.path.basename(path)
    data = _read(path)
    if len(data) == 0 or len(data) % 512:
        if data[:4] and struct.unpack_from("<I", data.ljust(4, b"\0"))[0] == UF2_MAGIC0:
            raise MpkError("%s is a truncated UF2 file (%d bytes, not a multiple of 512)" % (name, len(data)))
        raise MpkError("%s is not a UF2 firmware file (%s)" % (name, _kind_of(data)))
    families, total, payload = set(), None, 0
    seen = set()
    for off in range(0, len(data), 512):
        m0, m1, flags, addr, size, blockno, nblocks, fam = struct.unpack_from("<8I", data, off)
        (mend,) = struct.unpack_from("<I", data, off + 508)
        if m0 != UF2_MAGIC0 or m1 != UF2_MAGIC1 or mend != UF2_MAGIC_END:
            if off == 0:
                raise MpkError("%s is not a UF2 firmware file (%s)" % (name, _kind_of(data)))
            raise MpkError("%s is corrupt: block %d has bad UF2 magic numbers" % (name, off // 512))
        if size > 476 or blockno >= nblocks or (total is not None and nblocks != total):
            raise MpkError("%s is corrupt: block %d has inconsistent numbering or size" % (name, off // 512))
        total = nblocks
        if flags & UF2_FLAG_NOT_MAIN_FLASH:
            continue
        if not flags & UF2_FLAG_FAMILY:
            raise MpkError("%s has no UF2 family id: not a firmware for the RP2040/RP2350" % name)
        families.add(fam)
        seen.add((fam, blockno))
        payload += size
    if not families:
        raise MpkError("%s holds no flash data" % name)
    rp = {f for f in families if f in FAMILIES}
    if not rp:
        raise MpkError("%s is a UF2 for another chip (family id 0x%08x), not a Raspberry Pi RP2040/RP2350"
                       % (name, sorted(families)[0]))
    # Blocks of one family must all be there (a cut file passes the 512 test but not this one).
    if len(families) == 1 and len(seen) != total:
        raise MpkError("%s is corrupt: %d of %d blocks present" % (name, len(seen), total))
    if chip == "rp2040" and RP2040_FAMILY not in families:
        raise MpkError("%s is a UF2 for the %s, not the RP2040 (Pico)" % (name, FAMILIES[sorted(rp)[0]]))
    if chip == "rp2350" and not families & (RP2350_FAMILIES | {0xE48BFF57}):
        raise MpkError("%s is a UF2 for the RP2040, not the RP2350 (Pico 2)" % name)
    return {"family": sorted(FAMILIES.get(f, hex(f)) for f in families), "blocks": total, "bytes": payload}


def _esp_chips():
    from esptool.targets import CHIP_DEFS      # esptool is one of mpk's own dependencies

    return {c.IMAGE_CHIP_ID: (n, c.BOOTLOADER_FLASH_OFFSET) for n, c in CHIP_DEFS.items()
            if c.IMAGE_CHIP_ID is not None}


def check_esp(path, chip=None):
    """Validate an ESP32 image header; returns {'chip', 'offset', 'segments'}."""
    name = os.path.basename(path)
    data = _read(path)
    if len(data) < 24 or data[0] != ESP_MAGIC:
        raise MpkError("%s is not an ESP32 firmware image (%s)" % (name, _kind_of(data)))
    segments, mode = data[1], data[2]
    if not 1 <= segments <= 16 or mode > 5:
        raise MpkError("%s is corrupt: bad ESP image header (%d segments, flash mode %d)" % (name, segments, mode))
    (chip_id,) = struct.unpack_from("<H", data, 12)
    chips = _esp_chips()
    if chip_id not in chips:
        raise MpkError("%s is an ESP image for an unknown chip (id %d)" % (name, chip_id))
    img_chip, offset = chips[chip_id]
    if chip and chip != img_chip:
        raise MpkError("%s is an image for the %s, not the %s" % (name, img_chip, chip))
    try:  # esptool parses the segments; a cut file fails here.
        from esptool.bin_image import LoadFirmwareImage

        LoadFirmwareImage(img_chip, path)
    except ImportError:
        pass
    except Exception as e:
        raise MpkError("%s is corrupt: %s" % (name, str(e).splitlines()[0] if str(e) else type(e).__name__)) from None
    return {"chip": img_chip, "offset": offset, "segments": segments}


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except IsADirectoryError:
        raise MpkError("%s is a directory, not a firmware file" % path) from None
    except OSError as e:
        raise MpkError("cannot read %s: %s" % (path, e.strerror or e)) from None


def _kind_of(data):
    if not data:
        return "it is empty"
    if data[:4] == b"\x7fELF":
        return "it is an ELF file"
    if data[:2] == b"PK":
        return "it is a zip archive"
    if data[:1] == bytes([ESP_MAGIC]):
        return "it looks like an ESP32 image"
    if len(data) >= 4 and struct.unpack_from("<I", data)[0] == UF2_MAGIC0:
        return "it looks like a UF2 file"
    if data[:1] == b"M" and len(data) > 1 and data[1] < 10:
        return "it is a .mpy file"
    try:
        data[:512].decode("utf-8")
        return "it is a text file"
    except UnicodeDecodeError:
        return "unknown format"


def firmware_kind(path):
    data = _read(path)[:4]
    if len(data) == 4 and struct.unpack("<I", data)[0] == UF2_MAGIC0:
        return "uf2"
    if data[:1] == bytes([ESP_MAGIC]):
        return "esp"
    return None


# ---------------------------------------------------------------------------- UF2 drive
def _mount_points():
    points = []
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) > 2:
                    points.append(parts[1].replace("\\040", " "))
    except OSError:
        pass
    user = os.environ.get("USER", "")
    for pat in ("/media/*", "/media/%s/*" % user, "/run/media/%s/*" % user, "/Volumes/*"):
        import glob

        points += glob.glob(pat)
    return points


def uf2_board_id(drive):
    try:
        with open(os.path.join(drive, "INFO_UF2.TXT")) as f:
            for line in f:
                if line.startswith("Board-ID:"):
                    return line.split(":", 1)[1].strip()
        return "unknown"
    except OSError:
        return None


def find_uf2_drives(candidates=None):
    """Mounted drives with an INFO_UF2.TXT: [(path, board id)]."""
    found, seen = [], set()
    for p in candidates if candidates is not None else _mount_points():
        if p in seen:
            continue
        seen.add(p)
        bid = uf2_board_id(p)
        if bid is not None:
            found.append((p, bid))
    return found


def drive_chip(board_id):
    b = (board_id or "").upper()
    if "RP2350" in b:
        return "rp2350"
    if "RPI-RP2" in b or "RP2040" in b:
        return "rp2040"
    return None


def flash_uf2(path, drive=None, enter_bootloader=False, port=None, wait=15, log=print):
    info = check_uf2(path)
    if enter_bootloader:
        _enter_bootloader(port, log)
    deadline = time.monotonic() + (wait if enter_bootloader else 0)
    while True:
        drives = find_uf2_drives([drive] if drive else None)
        drives = [(p, b) for p, b in drives if drive_chip(b)]
        if drives or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if drive and not drives:
        raise MpkError("%s is not a Pico in BOOTSEL mode (no INFO_UF2.TXT of an RP2 there)" % drive)
    if not drives:
        raise MpkError("no Pico in BOOTSEL mode found: hold BOOTSEL while plugging it in, or use --enter-bootloader")
    if len(drives) > 1:
        raise MpkError("several BOOTSEL drives found (%s): choose one with --drive" % ", ".join(p for p, _ in drives))
    dest, bid = drives[0]
    chip = drive_chip(bid)
    check_uf2(path, chip=chip)  # the file must suit the chip behind this drive
    target = os.path.join(dest, os.path.basename(path) if path.lower().endswith(".uf2") else "firmware.uf2")
    log("copying %s (%d KB, %s) to %s (%s)" % (os.path.basename(path), info["bytes"] // 1024,
                                               "/".join(info["family"]), dest, bid))
    try:
        with open(path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 64 * 1024)
            dst.flush()
            os.fsync(dst.fileno())
    except OSError as e:
        # The RP2 reboots as soon as the last block lands; a late error is harmless then.
        if os.path.exists(dest):
            raise MpkError("copy to %s failed: %s; the board stays in BOOTSEL mode, try again" % (dest, e.strerror or e)) from None
    log("done: the Pico reboots into the new MicroPython")
    return {"drive": dest, "board_id": bid, **info}


def _enter_bootloader(port, log):
    from host_tools.link import open_board

    with open_board(port) as b:
        log("asking %s to reboot into BOOTSEL mode" % b.port)
        with b.guard("entering the bootloader"):
            b.let_go("import machine\nmachine.bootloader()")


# ---------------------------------------------------------------------------- ESP32
def esptool_command(port, path, offset, erase=False, chip="auto", baud=460800):
    base = [sys.executable, "-m", "esptool", "--chip", chip, "--port", port, "--baud", str(baud)]
    cmds = []
    if erase:
        cmds.append(base + ["erase-flash"])
    cmds.append(base + ["write-flash", "--flash-size", "detect", hex(offset), path])
    return cmds


def flash_esp(path, port=None, erase=False, offset=None, chip=None, log=print, runner=None):
    info = check_esp(path, chip=chip)
    from host_tools.link import select_port

    port = select_port(port)
    off = info["offset"] if offset is None else offset
    runner = runner or _run_esptool
    for cmd in esptool_command(port, path, off, erase=erase, chip=info["chip"]):
        log("running: esptool %s" % " ".join(cmd[3:]))
        rc, last = runner(cmd)
        if rc != 0:
            raise MpkError("esptool failed on %s: %s" % (port, last or "exit code %d" % rc))
    log("done: %s flashed at 0x%x on %s" % (os.path.basename(path), off, port))
    return {"port": port, "offset": off, **info}


def _run_esptool(cmd):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last = ""
    for line in p.stdout:
        sys.stdout.write(line)
        if line.strip():
            last = line.strip()
    return p.wait(), last


# ---------------------------------------------------------------------------- download + cache
def cache_dir():
    d = os.environ.get("MPK_FIRMWARE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mpk", "firmware")
    return Path(d)


_VER = re.compile(r"-v(\d+)\.(\d+)(?:\.(\d+))?(-preview\.?(\d+)?)?")


def _version_key(fn):
    m = _VER.search(fn)
    if not m:
        return None
    major, minor, patch, pre, build = m.groups()
    # a preview of 1.25 sorts before 1.25.0
    return (int(major), int(minor), int(patch or 0), 0 if pre else 1, int(build or 0))


def newest_cached(board, cache=None, preview=False):
    """The newest cached firmware file for a board, or None."""
    _port, bid, kind, _chip = board_defs.firmware(board)
    ext = ".uf2" if kind == "uf2" else ".bin"
    cache = Path(cache or cache_dir())
    best = None
    if cache.is_dir():
        for f in cache.rglob("*" + ext):
            name = f.name
            if not name.startswith(bid + "-"):
                continue  # RPI_PICO must not pick RPI_PICO_W-...
            rest = name[len(bid) + 1:]
            if not re.match(r"(\d{8}-)?v\d", rest):
                continue
            key = _version_key(name)
            if key is None or (key[3] == 0 and not preview):
                continue
            if best is None or key > best[0]:
                best = (key, f)
    return best[1] if best else None


def mpflash_download(board, cache):
    """Download the newest stable firmware for a board with mpflash; raises MpkError offline."""
    port, bid, _kind, _chip = board_defs.firmware(board)
    os.environ.setdefault("MPFLASH_FIRMWARE", str(cache))
    try:
        from loguru import logger

        logger.remove()
        from mpflash.download import download
    except ImportError:
        raise MpkError("mpflash is not installed (pip install mpflash): cannot download firmware") from None
    try:
        n = download(ports=[port], boards=[bid], versions=["stable"], destination=Path(cache))
    except Exception as e:  # MPFlashError, requests errors, ...
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise MpkError("cannot download MicroPython for %s (%s): pass a FIRMWARE file instead" % (board, msg)) from None
    return n


def firmware_for_board(board, cache=None, downloader=None, offline=False, log=print):
    """Path of the newest official firmware for `board`: download (mpflash) into the cache, else cached."""
    cache = Path(cache or cache_dir())
    cached = newest_cached(board, cache)
    if not offline:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            (downloader or mpflash_download)(board, cache)
        except MpkError as e:
            if cached is None:
                raise
            log("note: %s; using the cached %s" % (str(e).split(":")[0], cached.name))
    newest = newest_cached(board, cache)
    if newest is None:
        raise MpkError("no firmware for %s in the cache %s and none could be downloaded" % (board, cache))
    return newest
