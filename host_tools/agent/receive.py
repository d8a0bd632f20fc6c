# Board side of the fast write path (host_tools/transfer.py): receives files over the
# serial link while it runs in the raw REPL, instead of one compiled exec per chunk.
#
# The host sends frames, each a header line "<op> <n>\n" and then n bytes:
#   o <n> PATH      open PATH for writing; the data frames that follow are the file
#   z <n> PATH      the same, the data deflated (raw deflate, 1 KB window; small files)
#   d <n> BASE64    a piece of the open file, base64 (binary-safe over any link)
#   b <n> BYTES     a piece of the open file as it is (a quarter fewer bytes than base64:
#                   for a link that passes every byte, a board's own USB or UART port
#                   while Ctrl-C is off)
#   c 0             close the file
#   q 0             done
# The receiver says it is ready with one byte, "R"; then every frame is acknowledged
# with one byte, ".", once handled, so the host keeps a window of
# frames in flight and the board never waits for the next one. After an error (a full
# flash) the rest is still read and acknowledged but nothing more is written, and the
# error is raised at the end: the link stays in step. Ctrl-C is off meanwhile: the data
# is text, but a stray 0x03 from the host would stop the transfer half-way.
# At the end the receiver prints, a line per file in order, the sha256 (hex, cut to
# hash_len) of what it wrote, or "-": the host checks them against its manifest, so
# the files need not be read back.
import io
import sys
import micropython
from binascii import a2b_base64, hexlify

try:
    from hashlib import sha256
except ImportError:                      # a board without hashlib: nothing is checked
    sha256 = None


class _Rx:
    def __init__(self, frame):
        self.inp = sys.stdin.buffer
        self.out = sys.stdout.buffer
        self.failed = None
        self.h = None
        self.sums = []
        # one buffer for every raw frame: nothing is allocated per frame
        self.buf = bytearray(frame)
        self.mv = memoryview(self.buf)

    def head(self):
        op, n = self.inp.readline().split()
        return op, int(n)

    def read_raw(self, n):
        # A raw frame into the buffer; a pipe may return less than asked.
        if n > len(self.buf):
            raise ValueError("frame of %d bytes, the buffer holds %d" % (n, len(self.buf)))
        got = 0
        while got < n:
            # (the ports' stdin.buffer has readinto; the stubs lack it)
            k = self.inp.readinto(self.mv[got:n])  # type: ignore[union-attr]
            if not k:
                raise OSError("the link closed mid-frame")
            got += k
        return self.mv[:n]

    def ack(self):
        self.out.write(b".")

    def run(self):
        while True:
            op, n = self.head()
            path = bytes(self.read_raw(n))
            self.ack()
            if op == b"q":
                return
            f = None
            if self.failed is None:
                try:
                    f = open(path.decode(), "wb")
                except Exception as e:
                    self.failed = e
            self.h = sha256() if sha256 is not None and f is not None else None
            try:
                if op == b"z" and f is not None:
                    op = self.inflate(f)
                else:
                    op = self.copy(f)
            finally:
                if f is not None:
                    f.close()
            self.sums.append(None if self.h is None or self.failed is not None else self.h.digest())
            if op != b"c":
                raise ValueError("transfer out of step (%s)" % op)
            self.ack()

    def copy(self, f):
        # Plain data frames into f (None: only read them); returns the frame after them.
        while True:
            op, n = self.head()
            if op != b"b" and op != b"d":
                if n:
                    self.read_raw(n)
                return op
            raw = self.read_raw(n)
            if f is not None and self.failed is None:
                try:
                    if op == b"d":
                        raw = a2b_base64(raw)
                    f.write(raw)
                    if self.h is not None:
                        self.h.update(raw)
                except Exception as e:
                    self.failed = e
            self.ack()

    def inflate(self, f):
        # Deflated data frames: gathered (the host deflates small files only, so this is
        # bounded), then inflated into f. DeflateIO reads its source a byte at a time, so
        # it reads from a BytesIO, not from the link.
        import deflate

        packed = bytearray()
        while True:
            op, n = self.head()
            if op != b"b" and op != b"d":
                break
            raw = self.read_raw(n)
            packed.extend(a2b_base64(raw) if op == b"d" else raw)
            self.ack()
        if self.failed is None:
            buf = bytearray(512)
            mv = memoryview(buf)
            try:
                z = deflate.DeflateIO(io.BytesIO(packed), deflate.RAW, 10)
                while True:
                    n = z.readinto(buf)
                    if not n:
                        break
                    f.write(mv[:n])
                    if self.h is not None:
                        self.h.update(mv[:n])
            except Exception as e:
                self.failed = e
        return op


def receive(hash_len=20, frame=4096):
    rx = _Rx(frame)
    micropython.kbd_intr(-1)
    # Ready: the host sends nothing before this byte. The firmware looks for Ctrl-C as
    # bytes arrive, not as they are read, so a 0x03 in a raw frame that came before
    # kbd_intr(-1) ran would stop the receiver.
    rx.out.write(b"R")
    try:
        rx.run()
    finally:
        micropython.kbd_intr(3)
    if rx.failed is not None:
        raise rx.failed
    for d in rx.sums:
        print("-" if d is None else hexlify(d)[:hash_len].decode())
