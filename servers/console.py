# console: a shell on the serial console that runs as a task while the system keeps
# running. Every tick it takes the bytes waiting on stdin (select.poll with timeout 0,
# so it never blocks the loop) and feeds a small line editor with echo.
#
# Commands: help, ps, trace [n] [all], kill <tid|name>, restart <name>, send <tid|name> <expr>,
# mem, log [n], faults, stop. `send` calls the task with the value of the Python
# expression (a literal, typically a request tuple; a bare string s means (s,)) and
# prints the reply.
#
# Machine-readable mode, for the host tool (host_tools/console_protocol.py): a line
# holding PREFIX ("\x1empk:") followed by a JSON request is answered with one line,
# PREFIX + a JSON reply; such lines are not echoed. Commands: hello, snapshot, ps,
# trace and log (the last two with {"since": seq}), and call ({"to": name, "msg":
# "<request as a Python literal>", "timeout_ms": n} -> repr of the server's reply; what
# HIL tests on the host use to talk to a server: host_tools/hil).
#
# Ctrl-C: the console takes the serial console's Ctrl-C as data (micropython.kbd_intr(-1))
# and answers 0x03 by stopping the kernel, so main() returns to the REPL with every task
# kept as it was; resume() at the REPL runs it on. The REPL sets Ctrl-C back to an
# interrupt whenever it runs code; the console takes it again on its next tick. (With
# ctrl_c=False the port's own KeyboardInterrupt stops the kernel instead, which also works
# when a task hangs the loop, but ends the task that was running at that moment.)
#
# Quiet: with quiet=True the console never touches the serial console (no reading, no
# printing; IPC only). A system started from the raw REPL (HIL tests, `mpremote run`)
# must use that: there the serial line belongs to the host tool (the aiorepl lesson).
# The console also speaks only when spoken to: it prints nothing until a byte arrives.
#
# It reads the task table, faults and trace and stops the kernel through system calls,
# which needs the privileged right (the system image gives it; without it those commands
# answer Denied).
import gc
import json
import sys
import kernel
from kernel import call
from kernel.trace import PEER_EVENTS
from servers.lib.inspect_format import ps_head, ps_line, ps_record, trace_line, trace_record, postmortem_line
from servers.lib.base import ServerError, BADREQ, NOENT, UNAVAIL, is_err
from servers.lib.base import serve, configure
from servers.lib import postmortem
from servers.api.console import PROTOCOL

# The JSON mode's wire constants, shared with the host (firmware/wire.py).
from firmware.wire import CONSOLE_PREFIX as PREFIX, CONSOLE_PROTOCOL as JSON_PROTOCOL
JSON_COMMANDS = ("hello", "snapshot", "ps", "trace", "log", "call", "faults", "inject")
SNAPSHOT_PARTS = ("tasks", "stats", "trace", "log", "faults")

PROMPT = "mpk> "
TRACE_KEEP = 64          # trace records (with seq numbers) kept for "since" readers
MEM_TOP = 10             # tasks `mem` lists
CALL_MS = 1000           # how long the console waits for another server
CTRL_C = 3
RS = 0x1E


HELP = """commands:
  ps                      tasks: state, mailbox, CPU, heap, faults
  trace [n] [all]         the last n kernel events (default 20); all: also the console's own
  kill <tid|name>         end a task (its supervisor may restart it)
  restart <name>          restart a task through the supervisor
  hold <name>             the supervisor does not restart it when it ends (debugging)
  release <name>          ... and does again (restarting it now if it has ended)
  fault <tid|name> [kind] make a task fail on purpose: exception, memory or hang
  send <tid|name> <expr>  call a task with a request, e.g. send fs ("usage",)
  mem                     heap free/used, heap by task
  log [n]                 the last n log records (default 10)
  faults                  the last faults with their tracebacks, and what went wrong
                          before the last resets (the post-mortem kept on flash)
  stop                    stop the kernel (Ctrl-C does too); resume() at the REPL runs it on
  help                    this text"""

TEXT_COMMANDS = ("help", "ps", "trace", "kill", "restart", "hold", "release", "fault", "send", "mem",
                 "log", "faults", "stop")


class StdinIO:
    # The serial console: non-blocking reads from stdin, writes through print() (cooked:
    # "\n" goes out as "\r\n" on a board).
    takes_ctrl_c = True

    def __init__(self):
        import select

        self.poller = select.poll()
        self.poller.register(sys.stdin, select.POLLIN)
        self.raw = getattr(sys.stdin, "buffer", sys.stdin)

    def read_byte(self):
        # One byte if one is waiting, else None; never blocks.
        if not self.poller.poll(0):
            return None
        c = self.raw.read(1)
        if not c:
            return None
        return c[0] if type(c) is not str else ord(c)

    def write(self, s):
        print(s, end="")


def _kbd_intr(c):
    try:
        import micropython

        micropython.kbd_intr(c)
    except (ImportError, AttributeError):
        pass


def _literal(text):
    # The value of a Python expression typed at the console (no names available).
    text = text.strip()
    if not text:
        raise ServerError(BADREQ, "send needs a request, e.g. (\"status\",)")
    try:
        v = eval(text, {"__builtins__": {}}, {})
    except Exception as e:
        raise ServerError(BADREQ, "bad request %s: %s" % (text, e))
    return (v,) if type(v) is str else v


class Console:
    def __init__(self, io=None, quiet=False, ctrl_c=True, tick_ms=20, log="log",
                 supervisor="supervisor"):
        self.io = io
        self.quiet = quiet
        self.ctrl_c = ctrl_c
        self.period_ms = tick_ms
        self.log_name = log
        self.sup_name = supervisor
        self.line = []               # the line being typed (str chars)
        self.json_line = None        # a JSON-mode line being received (a bytearray)
        self.esc = 0                 # inside an escape sequence: bytes still to skip
        self.last_cr = False
        self.spoken_to = False       # nothing is printed before the first byte arrives
        self.trace_seq = 0
        self.trace_last = None
        self.trace_keep = []
        self.me = None

    def close(self):
        if self.ctrl_c and self.io is not None and getattr(self.io, "takes_ctrl_c", False):
            _kbd_intr(CTRL_C)       # never leave the board without Ctrl-C

    # --- the serial console ------------------------------------------------------------

    def on_tick(self):
        if self.quiet:
            return None
        if self.io is None:
            try:
                self.io = StdinIO()
            except Exception:        # no poll on this port's stdin: stay silent
                self.quiet = True
                return None
        takes = self.ctrl_c and getattr(self.io, "takes_ctrl_c", False)
        if takes:
            _kbd_intr(-1)
        todo = []
        for _ in range(256):       # a whole request line in one tick
            b = self.io.read_byte()
            if b is None:
                break
            jl = self.json_line
            if jl is not None and b != 13 and b != 10:
                # A request line: taken here, a byte at a time but without a call each
                # (feed() per byte cost 12 ms for a request on a Pico).
                if len(jl) < 2048:
                    jl.append(b)
                continue
            if b == CTRL_C and jl is None:
                self.spoken_to = True
                self.line = []
                todo.append(("stop", takes))
                break                # leave what follows for the REPL (mpremote sends more)
            r = self.feed(b)
            if r is not None:
                todo.append(r)
        if todo:
            return self._run_all(todo)
        return None

    def _run_all(self, todo):
        # Lines in the order they were typed; Ctrl-C last (nothing after it was read).
        for kind, text in todo:
            if kind == "stop":
                self.write("^C\n")
                if text:
                    _kbd_intr(CTRL_C)
                yield kernel.stop()
            elif kind == "json":
                yield from self.json_reply(text, self.write)
                self.write("\n")
            else:
                out = yield from self.run_line(text, self.write)
                if out:
                    self.write(out + "\n")
                self.write(PROMPT)

    def write(self, s):
        if not self.quiet and self.io is not None and self.spoken_to:
            self.io.write(s)

    def feed(self, b):
        # One input byte. Returns ("line", text) or ("json", text) when a line ends.
        self.spoken_to = True
        if self.esc:
            # ESC [ params final: skip up to the final byte (0x40..0x7E)
            if self.esc == 1 and b != 0x5B and b != 0x4F:
                self.esc = 0
            elif self.esc == 1:
                self.esc = 2
            elif 0x40 <= b <= 0x7E:
                self.esc = 0
            return None
        if b == 0x1B:
            self.esc = 1
            return None
        if b == RS:
            self.json_line = bytearray(b"\x1e")  # machine mode until the end of the line, no echo
            self.last_cr = False        # the line's LF is its end, not the half of a CRLF
            return None
        if b == 13 or b == 10:
            crlf = b == 10 and self.last_cr
            self.last_cr = b == 13
            if crlf:
                return None
            if self.json_line is not None:
                try:
                    text = bytes(self.json_line).decode()
                except UnicodeError:
                    text = ""               # not a request: answered "bad request"
                self.json_line = None
                return ("json", text)
            text = "".join(self.line)
            self.line = []
            self.write("\n")
            return ("line", text)
        self.last_cr = False
        if self.json_line is not None:
            if len(self.json_line) < 2048:
                self.json_line.append(b)
            return None
        if b == 8 or b == 127:
            if self.line:
                self.line.pop()
                self.write("\b \b")
            return None
        if 32 <= b < 127 and len(self.line) < 200:
            self.line.append(chr(b))
            self.write(chr(b))
        return None

    # --- text commands ---------------------------------------------------------------

    def run_line(self, text, write):
        # A command line -> its output (generator: some commands make calls); long tables
        # (ps, trace) go out through write() a line at a time instead.
        words = text.strip().split(None, 2)
        if not words:
            return ""
        cmd = words[0]
        args = words[1:]
        try:
            if cmd == "help":
                return HELP
            if cmd == "ps":
                restarts = yield from self.restarts()
                first = yield kernel.info("next", 0)
                write(ps_head() + "\n")
                yield from self.put_tasks(first, restarts, lambda r: write(ps_line(r) + "\n"))
                return ""
            if cmd == "trace":
                n = self._int([a for a in args if a != "all"], 20)
                yield from self.take_trace()
                recs = list(self.trace_since(None, "all" in args))[-n:] if n > 0 else []
                for r in recs:
                    write(trace_line(r) + "\n")
                return "" if recs else "(no events)"
            if cmd == "mem":
                return (yield from self.mem())
            if cmd == "faults":
                return (yield from self.faults())
            if cmd == "stop":
                yield kernel.stop()
                return "kernel stopped; resume() at the REPL runs it on"
            if cmd == "kill":
                return (yield from self.kill(args))
            if cmd == "restart":
                return (yield from self.restart(args))
            if cmd in ("hold", "release"):
                if not args:
                    raise ServerError(BADREQ, "%s <name>" % cmd)
                yield from _call_named(self.sup_name, (cmd, args[0]))
                return "%s: %s" % (args[0], "held (not restarted when it ends)" if cmd == "hold"
                                   else "released")
            if cmd == "fault":
                if not args:
                    raise ServerError(BADREQ, "fault <tid|name> [exception|memory|hang]")
                r = yield from self.inject(args[0], args[1] if len(args) > 1 else "exception")
                return "injected %s into %d (%s)" % (r["kind"], r["tid"], r["name"])
            if cmd == "send":
                return (yield from self.send(text.strip()[4:].strip()))
            if cmd == "log":
                return (yield from self.log_tail(self._int(args, 10)))
            return "unknown command %r (try help)" % cmd
        except ServerError as e:
            return "error: %s" % e
        except kernel.IPCError as e:
            return "error: %s %s" % (type(e).__name__, e)

    def _int(self, args, default):
        if not args:
            return default
        try:
            return int(args[0])
        except ValueError:
            raise ServerError(BADREQ, "not a number: %s" % args[0])

    def resolve(self, who):
        # Generator: a tid (digits) or a task's registered or spawned name -> (tid, name).
        tid = None
        if who.isdigit():
            tid = int(who)
        else:
            try:
                tid = yield kernel.lookup(who, 0)
            except kernel.Timeout:
                pass
        if tid is not None:
            name = yield kernel.info("name", tid)
            try:
                rec = yield kernel.info("task", tid)     # live, not only remembered
                return tid, rec["name"]
            except kernel.Dead:
                raise ServerError(NOENT, "no task %s (%s has ended)" % (who, name or tid))
        cursor = 0
        while True:                          # a spawned name: the task table, a record at a time
            r = yield kernel.info("next", cursor)
            if r is None:
                raise ServerError(NOENT, "no task %s" % who)
            cursor, rec = r
            if rec["name"] == who:
                return rec["tid"], who

    def kill(self, args):
        if not args:
            raise ServerError(BADREQ, "kill <tid|name>")
        tid, name = yield from self.resolve(args[0])
        if tid == self.me:
            raise ServerError(BADREQ, "the console will not kill itself (try stop)")
        yield kernel.kill(tid)
        return "killed %d (%s)" % (tid, name)

    def restart(self, args):
        if not args:
            raise ServerError(BADREQ, "restart <name>")
        tid = yield from _call_named(self.sup_name, ("restart", args[0]))
        return "restarted %s as %s" % (args[0], tid)

    def send(self, rest):
        parts = rest.split(None, 1)
        if len(parts) < 2:
            raise ServerError(BADREQ, "send <tid|name> <request>")
        tid, name = yield from self.resolve(parts[0])
        if tid == self.me:
            raise ServerError(BADREQ, "the console cannot call itself")
        msg = _literal(parts[1])
        r = yield call(tid, msg, CALL_MS * 2)
        return repr(r)

    def mem(self):
        # Generator: the heap, and the MEM_TOP tasks that allocated most (with the quota
        # the supervisor holds them to).
        gc.collect()
        try:
            free, used = gc.mem_free(), gc.mem_alloc()
            head = "heap: %d free, %d used" % (free, used)
        except AttributeError:       # CPython
            head = "heap: (not measured on this port)"
        top = []
        cursor = 0
        while True:
            r = yield kernel.info("next", cursor)
            if r is None:
                break
            cursor, t = r
            top.append((t["heap"], t["name"]))
            if len(top) > MEM_TOP:
                top.remove(min(top))
        quotas = yield from self.quotas()
        lines = [head, "allocated by task since start (the %d most):" % MEM_TOP]
        for heap, name in sorted(top, reverse=True):
            q = quotas.get(name)
            lines.append("  %-12s %8d%s" % (name, heap, "  quota %d/s" % q if q else ""))
        return "\n".join(lines)

    def quotas(self):
        # name -> quota (bytes per second) of the supervisor's children ({} without one).
        try:
            st = yield from _call_named(self.sup_name, ("status",))
            return {c["name"]: c.get("quota") for c in st}
        except (ServerError, kernel.IPCError, KeyError, TypeError):
            return {}

    def faults(self):
        fs = yield kernel.info("faults", None)
        out = ["%s (tid %d): %s %s\n%s" % (f["name"], f["tid"], f["type"], f["text"],
                                          f["traceback"].rstrip()) for f in fs] or ["(no faults)"]
        before = postmortem.load()
        if before:
            out.append("post-mortem (kept on flash across resets, oldest first):")
            out.extend(postmortem_line(r) for r in before)
        return "\n".join(out)

    def inject(self, who, kind):
        # Generator: make a task fail on purpose (the kernel checks our right to).
        if type(who) is not str or not who:
            raise ServerError(BADREQ, "inject needs a task (tid or name)")
        tid, name = yield from self.resolve(who)
        if tid == self.me:
            raise ServerError(BADREQ, "the console will not fault itself")
        try:
            yield kernel.inject(tid, kind)
        except ValueError:
            raise ServerError(BADREQ, "kind is one of exception, memory, hang")
        return {"tid": tid, "name": name, "kind": kind}

    def log_tail(self, n):
        recs = yield from _call_named(self.log_name, ("tail", n))
        if not recs:
            return "(no log records)"
        return "\n".join("%5d %9d %-5s %s: %s" % tuple(r) for r in recs)

    # --- JSON mode ---------------------------------------------------------------------

    def json_reply(self, line, write):
        # A request line -> the reply line, written in pieces through write(): a record at
        # a time, so no allocation grows with the number of tasks, the trace or the log
        # (generator: some answers call other servers first).
        i = line.find(PREFIX)
        rid = None
        try:
            req = json.loads(line[i + len(PREFIX):].strip()) if i >= 0 else None
        except ValueError:
            req = None
        if type(req) is not dict:
            write(_encode(None, False, error="bad request"))
            return
        rid = req.get("id")
        cmd = req.get("cmd")
        args = req.get("args") or {}
        if type(args) is not dict:
            args = {}
        parts = SNAPSHOT_PARTS
        try:
            # First everything that may fail; the reply is written only once it cannot.
            if cmd == "hello":
                data = {"protocol": JSON_PROTOCOL, "commands": list(JSON_COMMANDS)}
            elif cmd == "ps":
                restarts = yield from self.restarts()
                first = yield kernel.info("next", 0)        # Denied here, before any reply
                data = None
            elif cmd == "trace":
                yield from self.take_trace()
                data = self.trace_since(args.get("since"), args.get("all") is True)   # streamed
            elif cmd == "log":
                data = yield from self.log_since(args.get("since"))
            elif cmd == "call":
                data = yield from self.json_call(args)
            elif cmd == "faults":
                data = {"now": (yield kernel.info("faults", None)), "before": postmortem.load()}
            elif cmd == "inject":
                data = yield from self.inject(args.get("task"), args.get("kind", "exception"))
            elif cmd == "snapshot":
                if type(args.get("parts")) is list:
                    parts = args["parts"]
                restarts = (yield from self.restarts()) if "tasks" in parts else {}
                first = (yield kernel.info("next", 0)) if "tasks" in parts else None
                stats = (yield kernel.info("stats")) if "stats" in parts else None
                faults = (yield kernel.info("faults", None)) if "faults" in parts else None
                if "trace" in parts:
                    yield from self.take_trace()
                trace = self.trace_since(None, args.get("all") is True) if "trace" in parts else None
                log = None
                if "log" in parts:
                    try:
                        log = yield from self.log_since(None)
                    except (ServerError, kernel.IPCError):
                        log = []
                data = None
            else:
                write(_encode(rid, False, error="unknown command %r" % (cmd,)))
                return
        except ServerError as e:
            write(_encode(rid, False, error=str(e)))
            return
        except kernel.IPCError as e:
            write(_encode(rid, False, error="%s %s" % (type(e).__name__, e)))
            return
        write = _Chunks(write)
        write(PREFIX + '{"id": %s, "ok": true, "data": ' % json.dumps(rid))
        if data is not None or cmd not in ("ps", "snapshot"):
            if type(data) is list or cmd == "trace":
                _put_list(write, data)
            else:
                write(_json(data))
            write("}")
            write.flush()
            return
        if cmd == "ps":
            write("[")
            yield from self.put_tasks(first, restarts, lambda r: write(_json(r)), lambda: write(", "))
            write("]")
        else:
            sep = "{"
            for part in SNAPSHOT_PARTS:
                if part not in parts:
                    continue
                write(sep + '"%s": ' % part)
                sep = ", "
                if part == "tasks":
                    write("[")
                    yield from self.put_tasks(first, restarts, lambda r: write(_json(r)),
                                              lambda: write(", "))
                    write("]")
                elif part == "stats":
                    write(_json(stats))
                elif part == "faults":
                    _put_list(write, faults)
                else:
                    _put_list(write, trace if part == "trace" else log)
            write("{}" if sep == "{" else "}")
        write("}")
        write.flush()

    def json_call(self, args):
        # {"to": name, "msg": literal, "timeout_ms": n} -> repr(reply): the reply keeps its
        # tuples and bytes; error replies are values, as over IPC.
        to = args.get("to")
        if type(to) is not str or not to:
            raise ServerError(BADREQ, "call needs \"to\": a server name")
        msg = args.get("msg")
        msg = _literal(msg) if type(msg) is str else tuple(msg) if type(msg) is list else None
        if type(msg) is not tuple or not msg:
            raise ServerError(BADREQ, "call needs \"msg\": a request, e.g. \"('usage',)\"")
        ms = args.get("timeout_ms", CALL_MS)
        ms = ms if type(ms) is int and ms > 0 else CALL_MS
        try:
            tid = yield kernel.lookup(to, ms)
        except kernel.Timeout:
            raise ServerError(NOENT, "no server %s" % to)
        if tid == self.me:
            raise ServerError(BADREQ, "the console cannot call itself")
        r = yield call(tid, msg, ms)
        return repr(r)

    def restarts(self):
        # name -> restarts so far, from the supervisor ({} without one).
        try:
            return dict((yield from _call_named(self.sup_name, ("restarts",))))
        except (ServerError, kernel.IPCError, KeyError, TypeError, ValueError):
            return {}

    def put_tasks(self, r, restarts, put, between=None):
        # Generator: each live task's ps record to put(), the task table read a record at
        # a time from the kernel (r: the first, already read), so nothing grows with the
        # number of tasks.
        sep = False
        while r is not None:
            cursor, info = r
            if sep and between is not None:
                between()
            sep = True
            put(ps_record(info, restarts.get(info["name"], 0)))
            r = yield kernel.info("next", cursor)

    def take_trace(self):
        # Generator: number the kernel events seen since last time (the ring itself has
        # no seq), with the names of their tasks, which the kernel gives while it still
        # knows them. Kept compact (a tuple each); records are made when asked for. The
        # console's own work (calls to the supervisor and the log server to answer ps
        # and log) is marked, to be left out.
        evs = yield kernel.info("trace", TRACE_KEEP)
        start = 0
        if self.trace_last is not None:
            for i in range(len(evs) - 1, -1, -1):
                if evs[i][:4] == self.trace_last:
                    start = i + 1
                    break
        me = self.me
        for i in range(start, len(evs)):
            e = evs[i]
            self.trace_seq += 1
            mine = e[2] == me or (e[1] in PEER_EVENTS and e[3] == me)
            self.trace_keep.append((self.trace_seq, e, mine))
        if evs:
            self.trace_last = evs[-1][:4]
        if len(self.trace_keep) > TRACE_KEEP:
            del self.trace_keep[:len(self.trace_keep) - TRACE_KEEP]

    def trace_since(self, since, everything=False):
        # The records kept after seq `since`, one at a time (a generator; take_trace()
        # first).
        if type(since) is not int:
            since = 0
        for seq, e, mine in self.trace_keep:
            if seq > since and (everything or not mine):
                yield trace_record(e, seq)

    def log_since(self, since):
        if type(since) is not int or since < 0:
            since = 0
        recs = yield from _call_named(self.log_name, ("since", since))
        return [{"seq": r[0], "t_ms": r[1], "level": r[2], "tag": r[3], "text": r[4]} for r in recs]

    # --- IPC ---------------------------------------------------------------------------

    def op_run(self, sender, line):
        out = []
        text = yield from self.run_line(line, out.append)
        return "".join(out) + (text or "")

    def op_json(self, sender, line):
        out = []
        yield from self.json_reply(line, out.append)
        return "".join(out)

    def op_quiet(self, sender, on):
        self.quiet = on
        if on and self.io is not None and self.ctrl_c and getattr(self.io, "takes_ctrl_c", False):
            _kbd_intr(CTRL_C)
        return True


def _call_named(name, msg):
    # Call a server that may not exist: no waiting for it to appear, a bounded wait for
    # its reply, error replies raised as ServerError.
    try:
        tid = yield kernel.lookup(name, 0)
    except kernel.Timeout:
        raise ServerError(UNAVAIL, "no %s server" % name)
    r = yield call(tid, msg, CALL_MS)
    if is_err(r):
        raise ServerError(r[1], r[2])
    return r


def _put_list(write, items, encode=None):
    # A JSON array, one item at a time.
    encode = encode or _json
    write("[")
    sep = ""
    for it in items:
        write(sep + encode(it))
        sep = ", "
    write("]")


class _Chunks:
    # Pieces gathered into writes of about CHUNK characters: fewer, larger writes to the
    # serial console, and never more than one chunk (plus one piece) held.
    CHUNK = 512

    def __init__(self, write):
        self.out = write
        self.parts = []
        self.n = 0

    def __call__(self, s):
        self.parts.append(s)
        self.n += len(s)
        if self.n >= self.CHUNK:
            self.flush()

    def flush(self):
        if self.parts:
            self.out("".join(self.parts))
            self.parts = []
            self.n = 0


def _json(v):
    try:
        return json.dumps(v)
    except (TypeError, ValueError):          # something that is not JSON: its repr, as a string
        return json.dumps(repr(v))


def _encode(rid, ok, data=None, error=None):
    msg = {"id": rid, "ok": ok}
    if ok:
        msg["data"] = data
    else:
        msg["error"] = error
    try:
        return PREFIX + json.dumps(msg)
    except (TypeError, ValueError) as e:   # something in data is not JSON
        return PREFIX + json.dumps({"id": rid, "ok": False, "error": "unserialisable reply: %s" % e})


# io: None for the serial console (stdin/stdout), or an object with read_byte() -> int or
# None and write(str) (tests, other transports); quiet: no banner; ctrl_c: Ctrl-C stops
# the kernel into the REPL; tick_ms: how often input is polled; log, supervisor: the
# names of the servers it asks.
CONFIG = {"io": None, "quiet": False, "ctrl_c": True, "tick_ms": 20, "log": "log",
          "supervisor": "supervisor"}


def main(name="console", **config):
    c = configure(CONFIG, config, name)
    con = Console(c["io"], c["quiet"], c["ctrl_c"], c["tick_ms"], c["log"], c["supervisor"])
    con.me = yield kernel.self_()
    yield from serve(PROTOCOL, con, name)


