"""The virtual board's flash image: checked, created and locked on the host."""
import fcntl
import os

from host_tools.errors import MpkError


class FlashImage:
    """An image file of exactly the board's filesystem size, held locked while
    a virtual board uses it. `blank` tells the board it may format it."""

    def __init__(self, path, board):
        self.path = os.path.abspath(path)
        self.size = board["flash_bytes"]
        self.block_size = board["block_size"]
        self._fd = None
        self.blank = False

    def open(self):
        self._fd = open_locked(self.path, self.size)
        self.blank = _all_erased(self._fd, self.size)
        return self

    def close(self):
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None


def open_locked(path, size):
    """An image file of exactly `size` bytes, opened read-write and locked for this
    process (created erased, 0xff, when missing); returns its fd. One-line MpkErrors."""
    if os.path.isdir(path):
        raise MpkError(f"flash image {path} is a directory")
    if not os.path.exists(path):
        try:
            with open(path, "xb") as f:
                f.write(b"\xff" * size)  # erased flash
        except OSError as e:
            raise MpkError(f"cannot create flash image {path}: {e.strerror}") from None
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as e:
        raise MpkError(f"cannot open flash image {path}: {e.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise MpkError(f"flash image {path} is in use by another virtual board") from None
    actual = os.fstat(fd).st_size
    if actual != size:
        os.close(fd)
        raise MpkError(
            f"flash image {path} is {actual} bytes; this board's flash is "
            f"{size} bytes ({size // 1024} KiB): use another file or delete this one")
    return fd


def _all_erased(fd, size):
    chunk = b"\xff" * 65536
    off = 0
    while off < size:
        data = os.pread(fd, 65536, off)
        if data != chunk[: len(data)]:
            return False
        off += len(data)
    return True
