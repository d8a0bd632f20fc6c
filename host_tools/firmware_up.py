"""After a deploy's soft reset: watch the board until its new firmware is up, or has failed.

The board prints, in order: `mpk: <board>, N tasks in the image` once firmware/main.py
imported (boot.py has then confirmed the tree on trial), and its console server then
answers the JSON-mode "hello" (host_tools/console_protocol.py): the system is up. A tree
that fails makes boot.py print `mpk boot: rolled back from tree b to a: <why>` (after
the traceback) and the previous firmware starts instead. Requests are sent only after
the boot line, so nothing is typed into a REPL while the board boots.
"""
import re
import time

from host_tools import console_protocol as cp
from host_tools.errors import MpkError

BOOTED = re.compile(rb"mpk: \S+, \d+ tasks in the image")
ROLLED_BACK = re.compile(rb"mpk boot: (rolled back from tree \w to \w: [^\r\n]*|tree \w [^\r\n]*no previous tree[^\r\n]*)")
ERROR_LINE = re.compile(rb"^\w*(Error|Exception|Interrupt)\b[^\r\n]*", re.M)


def wait_until_up(board, timeout=30.0, hello_every=1.0):
    """board: the open link (host_tools/link.py), just after the soft reset. Returns seconds to come up;
    raises MpkError (one line) for a rollback, or when nothing is up within `timeout`."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    seen = bytearray()
    scanner = cp.ReplyScanner()
    booted_at = None
    next_hello, rid = 0.0, 0
    while time.monotonic() < deadline:
        data = board.read_waiting(0.02)
        if data:
            seen += data
            del seen[:-65536]
            m = ROLLED_BACK.search(seen)
            if m:
                raise MpkError("the new firmware failed to start and was %s; the board runs its previous "
                               "firmware (mpk deploy exits non-zero)" % m.group(1).decode(errors="replace"))
            if booted_at is None and BOOTED.search(seen):
                booted_at = time.monotonic()
            if booted_at is not None:
                replies, _ = scanner.feed(data)
                if any(r.get("ok") for r in replies):
                    return time.monotonic() - t0
        now = time.monotonic()
        if booted_at is not None and now >= next_hello:
            rid += 1
            board.write(cp.encode_request(rid, "hello"))
            next_hello = now + hello_every
    what = ("it started but its console did not answer" if booted_at is not None else
            "it printed no boot line")
    matches = list(ERROR_LINE.finditer(bytes(seen)))
    if matches:
        what += "; last error: " + matches[-1].group(0).decode(errors="replace").strip()
    elif seen.strip():
        what += "; last output: " + bytes(seen).decode(errors="replace").strip().splitlines()[-1][:120]
    raise MpkError("the new firmware did not come up within %g s (%s); `mpk repl` shows the board"
                   % (timeout, what))
