# Board side of the fast write path (host_tools/transfer.py): receives files over the
# serial link while it runs in the raw REPL, instead of one compiled exec per chunk.
#
# The host sends frames, each a header line "<op> <n>\n" and then n bytes:
#   W <n> <k>       a whole file in one frame: its PATH (k bytes), then its bytes as they
#                   are (most files of a firmware fit one frame: one acknowledgement each)
#   w <n> <k>       the same, its bytes base64
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
# At the end the receiver prints, a line per file in order, the CRC-32 (8 hex digits)
# of what it wrote, or "-": the host checks them against what it sent, so the files need
# not be read back. (A CRC, not sha256: it checks the link, which is all it is for, and
# costs a Pico a sixth of the time, a tenth of a deploy to it.)
import io
import sys
import micropython
from binascii import a2b_base64

try:
    from binascii import crc32
except ImportError:                      # a port without it: nothing is checked
    crc32 = None


class _Rx:
    def __init__(self, frame, inflater=None):
        self.inp = sys.stdin.buffer
        self.out = sys.stdout.buffer
        self.inflater = inflater     # inflate(), for a transfer that deflates
        self.failed = None
        self.crc = None
        self.sums = []
        # one buffer for every raw frame: nothing is allocated per frame
        self.buf = bytearray(frame)
        self.mv = memoryview(self.buf)

    def head(self):
        # (op, n, k): k is the path's length in a whole-file frame, else 0
        h = self.inp.readline().split()
        return h[0], int(h[1]), int(h[2]) if len(h) > 2 else 0

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
            op, n, k = self.head()
            raw = self.read_raw(n)
            if op == b"q":
                self.ack()
                return
            if op == b"z" and self.inflater is None:
                raise ValueError("deflated data, and no inflater was sent")
            if op == b"W" or op == b"w":
                f = self.open(bytes(raw[:k]))
                try:
                    self.write(f, raw[k:], op == b"w")
                finally:
                    self.close(f)
                self.ack()
                continue
            f = self.open(bytes(raw))
            self.ack()
            try:
                if op == b"z" and f is not None:
                    op = self.inflater(self, f)
                else:
                    op = self.copy(f)
            finally:
                self.close(f)
            if op != b"c":
                raise ValueError("transfer out of step (%s)" % op)
            self.ack()

    def open(self, path):
        # The file to write, or None after a failure (then frames are only read).
        f = None
        if self.failed is None:
            try:
                f = open(path.decode(), "wb")
            except Exception as e:
                self.failed = e
        self.crc = 0 if crc32 is not None and f is not None else None
        return f

    def write(self, f, raw, b64):
        if f is not None and self.failed is None:
            try:
                if b64:
                    raw = a2b_base64(raw)
                f.write(raw)
                if self.crc is not None:
                    self.crc = crc32(raw, self.crc)
            except Exception as e:
                self.failed = e

    def close(self, f):
        if f is not None:
            f.close()
        self.sums.append(None if self.crc is None or self.failed is not None else self.crc)

    def copy(self, f):
        # Plain data frames into f (None: only read them); returns the frame after them.
        while True:
            op, n, _ = self.head()
            if op != b"b" and op != b"d":
                if n:
                    self.read_raw(n)
                return op
            self.write(f, self.read_raw(n), op == b"d")
            self.ack()


def inflate(rx, f):
    # Deflated data frames: gathered (the host deflates small files only, so this is
    # bounded), then inflated into f. DeflateIO reads its source a byte at a time, so
    # it reads from a BytesIO, not from the link. Sent only for a transfer that
    # deflates (receive's inflater): a Pico compiles every line it is sent.
    import deflate

    packed = bytearray()
    while True:
        op, n, _ = rx.head()
        if op != b"b" and op != b"d":
            break
        raw = rx.read_raw(n)
        packed.extend(a2b_base64(raw) if op == b"d" else raw)
        rx.ack()
    if rx.failed is None:
        buf = bytearray(512)
        mv = memoryview(buf)
        try:
            z = deflate.DeflateIO(io.BytesIO(packed), deflate.RAW, 10)
            while True:
                n = z.readinto(buf)
                if not n:
                    break
                f.write(mv[:n])
                if rx.crc is not None:
                    rx.crc = crc32(mv[:n], rx.crc)
        except Exception as e:
            rx.failed = e
    return op


def receive(frame=4096, inflater=None):
    rx = _Rx(frame, inflater)
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
        print("-" if d is None else "%08x" % d)
