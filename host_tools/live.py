"""Looking into a running system: the console server's JSON mode, or stop-read-resume.

See host_tools/console_protocol.py for the protocol the board answers.
"""
import json
import time

from host_tools import console_protocol as cp
from host_tools.board_conn import BoardExecError, connect, select_port
from host_tools.errors import MpkError

HELLO_TIMEOUT = 0.5
REQUEST_TIMEOUT = 5


class LiveSession:
    """An open port to a running board; `query(cmd)` through the console server or the REPL."""

    def __init__(self, port=None, mode="auto"):
        self.port = select_port(port)
        self.mode = mode  # "auto", "server", "repl"
        self.board = None
        self.via = None
        self.commands = set()
        self.rid = 0
        self.scanner = cp.ReplyScanner()
        self.other = b""

    def __enter__(self):
        self.board = connect(self.port)
        if self.mode in ("auto", "server"):
            hello = self._request("hello", timeout=HELLO_TIMEOUT, required=self.mode == "server")
            if hello is not None:
                self.via = "server"
                self.commands = set((hello or {}).get("commands") or [])
        if self.via is None:
            self.via = "repl"
        return self

    def __exit__(self, *exc):
        if self.board:
            self.board.close()

    # --- console server --------------------------------------------------------------
    def _request(self, cmd, args=None, timeout=REQUEST_TIMEOUT, required=True):
        self.rid += 1
        rid = self.rid
        s = self.board.t.serial
        with self.board.guard("talking to the console server"):
            s.write(cp.encode_request(rid, cmd, args))
            s.flush()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                n = s.in_waiting
                if not n:
                    time.sleep(0.005)
                    continue
                data = s.read(n)
                replies, other = self.scanner.feed(data)
                self.other += other
                for r in replies:
                    if r.get("id") == rid:
                        if not r.get("ok"):
                            raise MpkError("console server on %s: %s" % (self.port, r.get("error") or "error"))
                        return r.get("data")
        if required:
            raise MpkError("no answer from the console server on %s within %g s" % (self.port, timeout))
        return None

    # --- fallback through the REPL -------------------------------------------------
    def _snapshot_via_repl(self):
        b = self.board
        b.enter_raw(soft_reset=False)
        try:
            out = b.exec(cp.FALLBACK_CODE, timeout=REQUEST_TIMEOUT)
        except BoardExecError as e:
            b.exit_raw()
            if "ImportError" in e.output or "no module named" in e.output.lower():
                raise MpkError("no kernel on the board at %s (deploy the firmware: mpk deploy)" % self.port) from None
            raise MpkError("reading the kernel state failed: %s" % e) from None
        replies, _ = cp.ReplyScanner().feed(out.replace(b"\r\n", b"\n"))
        if not replies:
            b.exit_raw()
            raise MpkError("unexpected answer from the board while reading the kernel state")
        r = replies[-1]
        if not r.get("ok"):
            b.exit_raw()
            if r.get("error") == "no-running_kernel":
                raise MpkError("the kernel on %s has no running_kernel(): too old for mpk inspection" % self.port)
            raise MpkError("no kernel is running on %s (nothing to inspect; `mpk reset` starts the firmware)"
                           % self.port)
        # Resume: friendly REPL, re-enter the kernel loop.
        with b.guard("resuming the system"):
            b.t.exit_raw_repl()
            b.t.read_until(1, b">>> ", timeout=2)
            b.t.serial.write(cp.RESUME_CODE.encode() + b"\r")
            b.t.serial.flush()
            b.t.read_until(1, b"\n", timeout=1)  # the echo
        return r.get("data") or {}

    def query(self, what, since=None):
        """what: snapshot, ps, trace, log. Returns data as the console server would."""
        if self.via == "server":
            if what in ("trace", "log") and what in self.commands:
                return self._request(what, {"since": since} if since is not None else {})
            if what == "ps" and "ps" in self.commands:
                return self._request("ps")
            snap = self._request("snapshot")
        else:
            snap = self._snapshot_via_repl()
        if what == "snapshot":
            return snap
        if what == "ps":
            return snap.get("tasks", [])
        items = snap.get(what, []) or []
        if since is not None:
            items = [e for e in items if isinstance(e, dict) and e.get("seq", 0) > since]
        return items


# --- rendering ---------------------------------------------------------------------------
PS_ORDER = ["tid", "id", "name", "state", "prio", "priority", "mailbox", "queue", "cpu_ms", "cpu", "cpu_pct",
            "mem", "heap", "quota", "waiting_on", "wait", "restarts", "faults"]


def columns(rows, order=PS_ORDER):
    keys = []
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    return [k for k in order if k in keys] + [k for k in keys if k not in order]


def cell(v):
    if v is None:
        return "-"
    if isinstance(v, (list, tuple)):
        return "/".join(cell(x) for x in v)
    if isinstance(v, float):
        return "%.1f" % v
    if isinstance(v, dict):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def format_table(rows, order=PS_ORDER):
    if not rows:
        return "(no tasks)"
    cols = columns(rows, order)
    cells = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(cols, widths)).rstrip()]
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def rich_table(rows, title=None):
    from rich.table import Table

    t = Table(title=title)
    cols = columns(rows)
    for c in cols:
        t.add_column(c.upper())
    for r in rows:
        t.add_row(*[cell(r.get(c)) for c in cols])
    return t


def format_event(e):
    if isinstance(e, (list, tuple)):
        return " ".join(cell(x) for x in e)
    if not isinstance(e, dict):
        return str(e)
    head = []
    for k in ("seq", "t_ms", "t", "level", "kind", "task", "src", "dst"):
        if k in e:
            head.append("%s" % cell(e[k]) if k in ("seq", "t_ms", "t") else "%s=%s" % (k, cell(e[k])))
    rest = {k: v for k, v in e.items() if k not in ("seq", "t_ms", "t", "level", "kind", "task", "src", "dst")}
    text = rest.pop("text", None) or rest.pop("msg", None)
    tail = (" " + cell(text)) if text is not None else ""
    if rest:
        tail += " " + json.dumps(rest, separators=(",", ":"), default=str)
    return " ".join(head) + tail
