"""The fast write path: files sent to a board in a stream of frames, not one exec each.

mpremote's `fs cp` (and our earlier deploy) turns every chunk into Python source that
the board must receive through raw-paste and compile: about 6 KB/s to a Pico. Here the
board runs one small receiver (host_tools/agent/receive.py, sent once per transfer),
and the host streams frames to it, with a window of frames in flight so that the board
is never idle waiting for the host; a file that fits one frame goes as one. The data goes
as it is where the link passes every byte (binary=True: a board's own port; a quarter
fewer bytes, and a Pico spends about 8 µs of CPU on every byte its USB port receives),
else as base64 text (safe over any link: a pty, an RFC 2217 or TCP bridge), deflated
first for small files when the board has `deflate` (worth it on a slow link only:
inflating costs a Pico about 6 µs per deflated byte, about what a byte less over USB saves).
"""
import base64
import time
import zlib

from host_tools import agent
from host_tools.errors import MpkError

FRAME = 3072            # raw bytes per data frame (4 KB of base64)
BINARY_FRAME = 4096     # raw bytes per data frame sent as they are
WINDOW = 8              # frames sent ahead of the board's acknowledgements
DEFLATE_MAX = 16384     # files up to this size are deflated (the board gathers them)
WBITS = 10              # deflate window: what the receiver inflates with


def _deflate(data):
    z = zlib.compressobj(9, zlib.DEFLATED, -WBITS)
    return z.compress(data) + z.flush()


def frames(items, deflate=False, frame=FRAME, binary=False, crcs=None):
    """The frames for items [(local path, remote path)], as (bytes, raw bytes covered:
    a plain data frame covers its own bytes; a deflated file is covered by its close).
    binary: data frames carry the bytes as they are ("b"), not as base64 ("d").
    crcs: a list that gets the CRC-32 of each file sent, what the receiver reports."""
    for local, remote in items:
        with open(local, "rb") as f:
            data = f.read()
        if crcs is not None:
            crcs.append(zlib.crc32(data))
        packed = _deflate(data) if deflate and 0 < len(data) <= DEFLATE_MAX else None
        if packed is not None and len(packed) >= len(data):
            packed = None
        path = remote.encode()
        if packed is None and len(path) + wire_frame(len(data), binary) <= wire_frame(frame, binary):
            # the whole file in one frame: one acknowledgement, not three
            body = data if binary else base64.b64encode(data)
            yield b"%s %d %d\n%s%s" % (b"W" if binary else b"w", len(path) + len(body), len(path),
                                       path, body), len(data)
            continue
        yield b"%s %d\n%s" % (b"z" if packed is not None else b"o", len(path), path), 0
        body = data if packed is None else packed
        for i in range(0, len(body), frame):
            raw = body[i:i + frame]
            if binary:
                yield b"b %d\n%s" % (len(raw), raw), len(raw) if packed is None else 0
            else:
                piece = base64.b64encode(raw)
                yield b"d %d\n%s" % (len(piece), piece), len(raw) if packed is None else 0
        yield b"c 0\n", 0 if packed is None else len(data)
    yield b"q 0\n", 0


def wire_frame(frame, binary):
    """Bytes on the wire of a data frame of `frame` raw bytes (what the receiver's buffer holds)."""
    return frame if binary else 4 * -(-frame // 3)


def send_files(board, items, progress=None, deflate=False, timeout=60, frame=None, binary=False, before=""):
    """Write items [(local path, remote path)] on the board (in the raw REPL), and check
    each arrived as it was sent: the board reports the CRC-32 of what it wrote (not where
    it has no crc32), and a file that differs raises Damaged.

    board: a host_tools.link.Board. progress(n) is called with the raw bytes
    written as the board acknowledges them. frame: raw bytes per data frame (smaller for a
    board whose heap is in small pieces: a live update writes beside the running system;
    None: FRAME, or BINARY_FRAME with binary). binary: the data as it is, for a link that
    passes every byte (link.Board.binary_safe); else base64. before: code the board runs
    first, in the same exec (one less to compile). A board-side failure (a full flash) is
    raised as BoardExecError after the whole stream, with the board's traceback.
    """
    items = list(items)
    if not items:
        return
    if frame is None:
        frame = BINARY_FRAME if binary else FRAME
    crcs = []

    def talk(port):
        _ready(port)
        sent = []                        # raw bytes of each frame not yet acknowledged
        for data, covered in frames(items, deflate, frame, binary, crcs):
            port.write(data)
            sent.append(covered)
            while len(sent) >= WINDOW:
                _acked(port, sent, progress, block=True)
            _acked(port, sent, progress, block=False)
        while sent:
            _acked(port, sent, progress, block=True)

    call = "receive(%d%s)" % (wire_frame(frame, binary), ", inflate" if deflate else "")
    out = board.stream_exec(before + agent.call("receive", call), talk, timeout=timeout)
    got = [ln.strip() for ln in out.decode().splitlines() if ln.strip()]
    if len(got) != len(items):
        raise MpkError("the board reported %d files written of %d" % (len(got), len(items)))
    for (_, remote), crc, mine in zip(items, got, crcs):
        if crc != "-" and crc != "%08x" % mine:
            raise Damaged(remote)


class Damaged(MpkError):
    """A file arrived other than it was sent (its CRC-32 differs); args[0]: its board path."""

    def __init__(self, remote):
        super().__init__("%s arrived damaged (its CRC-32 differs from what was sent)" % remote)
        self.remote = remote


ACK_TIMEOUT = 30        # seconds without an acknowledgement: the board is gone


def _ready(port):
    # The receiver's "R" once Ctrl-C is off on the board (receive.py); anything else is
    # the start of its traceback (it failed before it began: no memory to compile it).
    deadline = time.monotonic() + ACK_TIMEOUT
    got = b""
    while not got and time.monotonic() < deadline:
        got = port.read(1)
    if got != b"R":
        if not got:
            raise TimeoutError("the board's receiver did not start in %d s" % ACK_TIMEOUT)
        raise EndedEarly(got)


def _acked(port, sent, progress, block):
    # Never more than the acknowledgements due: what follows the last one is the
    # receiver's own output (the hashes), read after it ends.
    got = port.read(min(port.in_waiting or 0, len(sent)))
    if block and not got:
        deadline = time.monotonic() + ACK_TIMEOUT
        while not got and time.monotonic() < deadline:
            got = port.read(1)
        if not got:
            raise TimeoutError("no acknowledgement from the board in %d s" % ACK_TIMEOUT)
    for i, c in enumerate(got):
        if c != 0x2E:                    # not ".": the receiver ended early (it failed)
            raise EndedEarly(got[i:])
        covered = sent.pop(0)
        if progress and covered:
            progress(covered)


class EndedEarly(Exception):
    """The receiver stopped before the stream did; args[0]: what it sent after its acks."""
