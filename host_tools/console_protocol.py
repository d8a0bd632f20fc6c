"""The console server's JSON mode: how `mpk ps/trace/top/log` talk to a running system.

The board's console server reads lines from the serial console (the same USB serial as
the REPL) while the system runs. Ordinary lines are its business; a line that starts
with PREFIX is a request from the host, answered by one line that starts with PREFIX
too, so replies stand out from whatever else the board prints (logs, task output).

    PREFIX = "\\x1empk:"       (ASCII RS, 0x1E, then "mpk:")

    host -> board   PREFIX + {"id": 7, "cmd": "ps", "args": {}} + "\\n"
    board -> host   PREFIX + {"id": 7, "ok": true, "data": ...} + "\\r\\n"
                    PREFIX + {"id": 7, "ok": false, "error": "unknown command"} + "\\r\\n"

One JSON object per line, no newline inside it (json.dumps never writes one). The host
finds the prefix anywhere in a line (a task may have printed half a line before), and
matches replies to requests by "id". The board must not wait for anything else before
replying, and must keep answering ordinary console traffic as before.

Commands (the board answers at least "hello" and "snapshot"):

    hello     -> {"protocol": 1, "commands": ["hello", "snapshot", "ps", "trace", "log", ...]}
    snapshot  -> kernel.snapshot(): {"tasks": [...], "stats": {...}, "trace": [...], "log": [...],
                                     "faults": [...]}  (JSON-serialisable; missing keys are fine)
    ps        -> snapshot()["tasks"]: one dict per task, e.g.
                 {"tid": 3, "name": "i2c0", "state": "recv", "prio": 1, "mailbox": [0, 8],
                  "cpu_ms": 12, "mem": 1024, "restarts": 0}
    trace     args {"since": SEQ} -> trace events with "seq" > SEQ, each a dict with "seq"
    log       args {"since": SEQ} -> log records with "seq" > SEQ, each a dict with "seq"
    call      args {"to": NAME, "msg": "('usage',)"} -> repr of that server's reply
    faults    -> {"now": this boot's fault records, "before": the post-mortem on flash}
    inject    args {"task": NAME|TID, "kind": "exception"|"memory"|"hang"} -> {"tid", "name", "kind"}

Fallback when no console server answers "hello": the host stops the loop with Ctrl-C
(the kernel keeps its state), enters the raw REPL without a soft reset, runs FALLBACK_CODE
(firmware/repl.py's snapshot(): the kernel's state printed as one JSON reply), then leaves the raw REPL and types
RESUME_CODE in the friendly REPL, which re-enters the kernel loop.

The prefix and the protocol number are the board's own (firmware/wire.py, imported here
as it is): one definition for both sides of the line.
"""
import json

from host_tools.device_code import load

_wire = load("firmware.wire")
PREFIX = _wire.CONSOLE_PREFIX
PREFIX_BYTES = PREFIX.encode()
PROTOCOL = _wire.CONSOLE_PROTOCOL

# A call of the board's own snapshot writer (firmware/repl.py, compiled and on flash):
# short, because a Pico with a full system may lack the RAM to compile a longer script.
FALLBACK_CODE = "from firmware.repl import snapshot\nsnapshot(%r)\n" % PREFIX

RESUME_CODE = "import kernel; _k = kernel.running_kernel(); (getattr(_k, 'resume', None) or _k.run)()"


def encode_request(rid, cmd, args=None):
    return (PREFIX + json.dumps({"id": rid, "cmd": cmd, "args": args or {}}) + "\n").encode()


def parse_request(line):
    """Board side: the request in a console line, or None for an ordinary line."""
    if isinstance(line, bytes):
        line = line.decode()
    i = line.find(PREFIX)
    if i < 0:
        return None
    try:
        req = json.loads(line[i + len(PREFIX):].strip())
    except ValueError:
        return {"id": None, "cmd": None, "args": {}}
    return req if isinstance(req, dict) else None


def encode_reply(rid, ok=True, data=None, error=None):
    """Board side: one reply line (without the trailing newline; print() adds it)."""
    msg = {"id": rid, "ok": ok}
    if ok:
        msg["data"] = data
    else:
        msg["error"] = error
    return PREFIX + json.dumps(msg)


class ReplyScanner:
    """Host side: split console bytes into protocol replies and ordinary output."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        """Returns (replies, other_bytes) for the complete lines seen so far."""
        self.buf += data
        replies, other = [], b""
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            i = line.find(PREFIX_BYTES)
            if i < 0:
                other += line + b"\n"
                continue
            other += line[:i]
            try:
                msg = json.loads(line[i + len(PREFIX_BYTES):].decode("utf-8", "replace").strip())
            except ValueError:
                continue
            if isinstance(msg, dict):
                replies.append(msg)
        return replies, other
