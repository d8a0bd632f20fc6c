# The virtual board's flash: a block device backed by an image file, with the
# geometry of the Pico's filesystem (4096-byte erase blocks, littlefs2 with
# progsize=256 as rp2's _boot.py mounts it).
#
# Every write goes straight to the file (the unix port's files are unbuffered),
# so a killed board leaves what littlefs had committed, as a power cut would.
#
# Recording (off by default): with MPK_SIM_FLASH_JOURNAL=FILE in the environment, every
# erase and write is also appended to FILE, in order, so that a power-loss sweep can
# replay them and cut the power at each one (host_tools/sim/power_cut.py). A record is
# struct "<BIII" (kind "W" or "E", block, offset, length) then the data written
# (host_tools/sim/flash_journal.py reads it). Opened here, before the flash hides the host's /.
import os
import struct


class FileBlockDevice:
    def __init__(self, path, block_size, block_count):
        self.f = open(path, "r+b")
        self.bs = block_size
        self.n = block_count
        self.blank = b"\xff" * block_size
        j = os.getenv("MPK_SIM_FLASH_JOURNAL")
        self.journal = open(j, "ab") if j else None

    def readblocks(self, block, buf, off=0):
        self.f.seek(block * self.bs + off)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, off=None):
        if off is None:
            # Old-style whole-block write: erase first, as flash needs.
            self.ioctl(6, block)
            off = 0
        if self.journal:
            self.journal.write(struct.pack("<BIII", 87, block, off, len(buf)))
            self.journal.write(buf)
        self.f.seek(block * self.bs + off)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.n
        if op == 5:  # block size
            return self.bs
        if op == 6:  # erase
            if self.journal:
                self.journal.write(struct.pack("<BIII", 69, arg, 0, 0))
            self.f.seek(arg * self.bs)
            self.f.write(self.blank)
            return 0
        return 0 if op in (1, 2, 3) else None  # init, deinit, sync
