"""The emulated Pico's flash: a 2 MiB image file holding the firmware and the filesystem.

A new image is made from a UF2 (as a Pico fresh from the factory gets one copied onto its
BOOTSEL drive): its blocks written into erased flash, the filesystem left erased for
MicroPython to format at first boot. An existing image is checked before use (size,
a bootable firmware, a filesystem that is littlefs or erased) and held locked while an
emulator runs from it; a UF2 given for an existing image is written over the firmware
blocks only, keeping the files, as copying a UF2 onto a real Pico does.
"""
import os
import struct
from pathlib import Path

from host_tools.errors import MpkError
from host_tools.sim.flash import open_locked
from host_tools.flash import check_uf2, RP2040_FAMILY, UF2_FLAG_NOT_MAIN_FLASH, newest_cached, cache_dir

FLASH_BASE = 0x10000000


def _crc32_mpeg2(data):
    # The boot ROM's check of boot2 (the first 252 bytes of flash, CRC in the next 4).
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def uf2_blocks(path):
    """(flash offset, payload) of every RP2040 main-flash block of a checked UF2."""
    check_uf2(path, chip="rp2040")
    with open(path, "rb") as f:
        data = f.read()
    for off in range(0, len(data), 512):
        _m0, _m1, flags, addr, size, _no, _n, fam = struct.unpack_from("<8I", data, off)
        if flags & UF2_FLAG_NOT_MAIN_FLASH or fam != RP2040_FAMILY:
            continue
        yield addr - FLASH_BASE, data[off + 32: off + 32 + size]


def find_firmware(explicit=None):
    """The UF2 to use: `explicit`, $MPK_PICO_FIRMWARE, the newest RPI_PICO UF2 in mpk's
    firmware cache or mpflash's download folder; else one line saying how to get one."""
    if explicit:
        return os.path.abspath(explicit)
    env = os.environ.get("MPK_PICO_FIRMWARE")
    if env:
        return os.path.abspath(env)
    for folder in (cache_dir(), _mpflash_folder()):
        found = newest_cached("pico", folder)
        if found is not None:
            return str(found)
    raise MpkError("no MicroPython firmware for the Pico: download RPI_PICO-<version>.uf2 from "
                   "micropython.org/download/RPI_PICO (or run `mpk flash --board pico --check` to "
                   "fetch one into the cache) and pass --firmware FILE or set MPK_PICO_FIRMWARE")


def _mpflash_folder():
    env = os.environ.get("MPFLASH_FIRMWARE")
    if env:
        return Path(env).expanduser()
    try:
        import platformdirs

        return platformdirs.user_downloads_path() / "firmware"
    except ImportError:
        return Path.home() / "Downloads" / "firmware"


class Rp2040Flash:
    """Rp2040Flash(path, board).open(firmware=None): checked, created or updated, locked.
    board: host_tools.sim.boards entry (flash_total, flash_bytes for the filesystem)."""

    def __init__(self, path, board):
        self.path = os.path.abspath(path)
        self.size = board["flash_total"]
        self.fs_offset = self.size - board["flash_bytes"]
        self.block_size = board["block_size"]
        self._fd = None

    def open(self, firmware=None):
        """firmware: a UF2 path to write in (needed for a new image), or None."""
        new = not os.path.exists(self.path)
        blocks = list(uf2_blocks(firmware)) if firmware else None
        if new and blocks is None:
            raise MpkError(f"flash image {self.path} does not exist and no firmware was given to make it")
        self._fd = open_locked(self.path, self.size)
        try:
            if blocks is not None:
                self._write_firmware(blocks)
            self._check_contents()
        except MpkError:
            self.close()
            if new:
                os.remove(self.path)
            raise
        return self

    def _write_firmware(self, blocks):
        for off, payload in blocks:
            if off < 0 or off + len(payload) > self.fs_offset:
                raise MpkError(f"the firmware does not fit the Pico's flash below its filesystem "
                               f"(a block at {FLASH_BASE + off:#x})")
            os.pwrite(self._fd, payload, off)
        os.fsync(self._fd)

    def _check_contents(self):
        boot2 = os.pread(self._fd, 256, 0)
        if _crc32_mpeg2(boot2[:252]) != struct.unpack_from("<I", boot2, 252)[0]:
            raise MpkError(f"flash image {self.path} holds no bootable firmware (boot2 checksum wrong): "
                           "give --firmware FILE.uf2 to write one in")
        fs = self.fs_offset
        head = os.pread(self._fd, self.block_size * 2, fs)
        erased = head == b"\xff" * len(head)
        # littlefs keeps its superblock in block 0 or 1, the magic at byte 8 of each.
        is_lfs = head[8:16] == b"littlefs" or head[self.block_size + 8: self.block_size + 16] == b"littlefs"
        if not (erased or is_lfs):
            raise MpkError(f"flash image {self.path}: the filesystem at {fs // 1024} KiB is neither "
                           "littlefs nor erased (corrupt image); it is not reformatted: use another file")

    def close(self):
        if self._fd is not None:
            os.close(self._fd)   # releases the lock
            self._fd = None
