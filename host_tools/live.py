"""Looking into a running system: the console server's JSON mode, or stop-read-resume.

See host_tools/console_protocol.py for the protocol the board answers.
"""
import json

from host_tools import console_protocol as cp
from host_tools.link import BoardExecError, ConsoleClient, connect, select_port
from host_tools.errors import MpkError

HELLO_TIMEOUT = 2.0        # a busy board (or the emulated Pico, ~0.15x) answers late
REQUEST_TIMEOUT = 10        # once it said hello: a request waits out an emulated Pico on a loaded host


CONSOLE_TASK = "console"      # the console server's name in the system image (firmware/system.py)


class LiveSession:
    """An open port to a running board; `query(cmd)` through the console server or the REPL."""

    def __init__(self, port=None, mode="auto"):
        self.port = select_port(port)
        self.mode = mode  # "auto", "server", "repl"
        self.board = None
        self.via = None
        self.commands = set()
        self.client = None
        self.noted = False          # said once that the REPL was used

    def __enter__(self):
        self.board = connect(self.port)
        self.client = ConsoleClient(self.board)
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
        with self.board.guard("talking to the console server"):
            r = self.client.request(cmd, args, timeout)
        del self.client.output[:]           # the system's own output is not ours to show
        if r is not None:
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
            raise MpkError("no kernel is running on %s (nothing to inspect; `mpk reset` starts the firmware)"
                           % self.port)
        # Resume: friendly REPL, re-enter the kernel loop.
        with b.guard("resuming the system"):
            b.to_friendly_repl(timeout=2)
            b.type_line(cp.RESUME_CODE, timeout=1)
        return r.get("data") or {}

    def command(self, cmd, args=None):
        """A console-server command that has no REPL fallback (faults, inject, call)."""
        if self.via != "server" or cmd not in self.commands:
            raise MpkError("%s needs the console server of a firmware that has %r (on %s: %s)" % (
                "mpk " + cmd, cmd, self.port,
                "no console server answered" if self.via != "server" else "an older firmware; mpk deploy"))
        return self._request(cmd, args)

    def query(self, what, since=None, everything=False):
        """what: snapshot, top (tasks and stats only), ps, trace, log. Returns data as
        the console server would."""
        if self.via == "server":
            if what in ("trace", "log") and what in self.commands:
                args = {"since": since} if since is not None else {}
                if everything:
                    args["all"] = True
                return self._request(what, args)
            if what == "ps" and "ps" in self.commands:
                return self._request("ps")
            snap = self._request("snapshot", {"parts": ["tasks", "stats"]} if what == "top" else None)
        else:
            snap = self._snapshot_via_repl()
            if self.mode == "auto" and not self.noted:
                import sys

                self.noted = True
                print("mpk: no console server answered on %s: read through the REPL (Ctrl-C, read, "
                      "resume)" % self.port, file=sys.stderr)
        if what in ("snapshot", "top"):
            return snap
        if what == "ps":
            return snap.get("tasks", [])
        items = snap.get(what, []) or []
        if what == "trace" and not everything:
            # The console server leaves its own work out of the trace (servers/console.py,
            # take_trace): read through the REPL, so is it here, by its name.
            items = [e for e in items if not (isinstance(e, dict) and CONSOLE_TASK in (e.get("name"), e.get("peer")))]
        if since is not None:
            items = [e for e in items if isinstance(e, dict) and e.get("seq", 0) > since]
        return items


# --- rendering: the board's own formats (servers/lib/inspect_format.py), so `mpk ps` and the board's
# `ps` print the same table and `mpk trace` the same lines ---------------------------------
def _inspect():
    import sys

    from host_tools.build import PROJECT_ROOT

    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from servers.lib import inspect_format

    return inspect_format


def format_table(rows):
    if not rows:
        return "(no tasks)"
    return _inspect().format_ps(rows)


def rich_table(rows, title=None):
    from rich.table import Table

    ins = _inspect()
    t = Table(title=title)
    for _, head, _w in ins.PS_COLUMNS:
        t.add_column(head)
    for r in rows:
        t.add_row(*[ins._cell(r.get(k)) for k in ins.PS_KEYS])
    return t


def format_event(e):
    """A trace record (kernel/inspect.py) or a log record, as one line."""
    if isinstance(e, dict) and "kind" in e and "t_us" in e:
        return _inspect().trace_line(e)
    if isinstance(e, dict) and "level" in e:
        return "%5s %9s %-5s %s: %s" % (e.get("seq", ""), e.get("t_ms", ""), e.get("level", ""),
                                        e.get("tag", ""), e.get("text", ""))
    return json.dumps(e, default=str)
