# The flash journal of a virtual board: every erase and write its block device did, in
# order (written by host_tools/sim/board/lfsdev.py when MPK_SIM_FLASH_JOURNAL is set).
# A record is struct "<BIII" (kind, block, offset, length), then `length` bytes of data.
# Plain code on purpose: read on the host (CPython) and by the power-cut checker
# (host_tools/sim/power_check.py, MicroPython).
import struct

ERASE = 69  # "E"
WRITE = 87  # "W"
_HEAD = "<BIII"
_HLEN = 13


def records(f):
    """Yield (kind, block, offset, data) from a journal file opened for binary reading."""
    while True:
        h = f.read(_HLEN)
        if not h:
            return
        if len(h) < _HLEN:
            raise ValueError("flash journal ends inside a record")
        kind, block, off, n = struct.unpack(_HEAD, h)
        data = f.read(n) if n else b""
        if len(data) != n or kind not in (ERASE, WRITE):
            raise ValueError("flash journal: bad record")
        yield kind, block, off, data


def apply(img, bs, rec, done=None):
    """Do one record to `img` (a bytearray of the whole flash, blocks of `bs` bytes).

    done: how many bytes of it happen before the power goes (None: all of it). A cut
    write leaves the rest of its range as it was; a cut erase erases only the start of
    the block, the rest keeps its old data.
    """
    kind, block, off, data = rec
    a = block * bs
    if kind == ERASE:
        n = bs if done is None else done
        img[a:a + n] = b"\xff" * n
    else:
        if done is not None:
            data = data[:done]
        img[a + off:a + off + len(data)] = data


def length(rec, bs):
    """How many bytes a record changes (what a power cut can leave partly done)."""
    return bs if rec[0] == ERASE else len(rec[3])
