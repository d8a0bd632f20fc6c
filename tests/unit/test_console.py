# console server with a scripted serial line: line editor and echo, text commands, the JSON
# mode, Ctrl-C stopping the kernel with state kept, quiet mode, IPC.
# Runs under CPython (pytest) and the MicroPython unix port (mp_runner.py).
import json
import kernel
from kernel import sleep, lookup, call
from servers import console, log, template
from servers.api import console as console_api, log as log_api
from srvutil import run, server


class FakeIO:
    # The serial line: bytes the "user" typed, and what the console printed.
    def __init__(self, typed=b""):
        self.inbox = bytearray(typed)
        self.out = []

    def type(self, b):
        self.inbox.extend(b)

    def read_byte(self):
        if not self.inbox:
            return None
        b = self.inbox[0]
        self.inbox = self.inbox[1:]          # (MicroPython's bytearray has no del)
        return b

    def write(self, s):
        self.out.append(s)

    def text(self):
        return "".join(self.out)

    def take(self):
        t = self.text()
        self.out = []
        return t


def system(io, **kw):
    return [server(log.main, config={"capacity": 16}), server(template.main),
            server(console.main, config={"io": io, "tick_ms": 5}, name="console", privileged=True, **kw)]


def typed(io, b, ms=2000):
    # Type b, then wait (at most ms) until the console has read it all and finished
    # answering: a prompt after a command, a newline after a JSON reply.
    io.type(b)
    for _ in range(ms // 5):
        yield sleep(5)
        t = io.text()
        if not io.inbox and (t.endswith(console.PROMPT) or t.endswith("}\n")):
            break
    return io.take()


def replies(text):
    out = []
    for line in text.split("\n"):
        i = line.find(console.PREFIX)
        if i >= 0:
            out.append(json.loads(line[i + len(console.PREFIX):]))
    return out


def test_speaks_only_when_spoken_to_then_echoes_and_edits():
    io = FakeIO()

    def body():
        yield sleep(40)
        assert io.text() == ""                         # no banner, no prompt unasked
        out = yield from typed(io, b"hlep\x7f\x7f\x7felp\r\n")
        assert out.startswith("hlep\b \b\b \b\b \belp\n"), repr(out)
        assert "restart <name>" in out and out.endswith(console.PROMPT)
        out = yield from typed(io, b"\x1b[Aps\r")       # arrow key ignored
        assert "console" in out and "template" not in out.split("\n")[0]
        assert "main" in out                           # template server's task name
        out = yield from typed(io, b"bogus 1\r")
        assert "unknown command 'bogus'" in out
        out = yield from typed(io, b"\r")
        assert out == "\n" + console.PROMPT
    run(body, system(io))


def test_commands_send_kill_log_trace_mem_faults():
    io = FakeIO()

    def body():
        lg = log_api.client()
        yield from lg.log("warn", "sensor", "too hot")
        out = yield from typed(io, b'send counter ("add", "x", 5)\r')
        assert "\n5\n" in out, out
        out = yield from typed(io, b'send counter "keys"\r')
        assert "['x']" in out, out
        out = yield from typed(io, b"send counter (\r")
        assert "error: badreq" in out, out
        out = yield from typed(io, b"send counter (\"nope\",)\r")
        assert "('err', 'badreq'" in out
        out = yield from typed(io, b"log 5\r")
        assert "warn  sensor: too hot" in out, out
        out = yield from typed(io, b"trace 5\r")
        lines = [ln for ln in out.split("\n") if " ms  " in ln]
        assert len(lines) == 5 and any("-> main[" in ln for ln in lines), out    # names beside tids
        out = yield from typed(io, b"mem\r")
        assert "heap" in out and "console" in out
        out = yield from typed(io, b"faults\r")
        assert "(no faults)" in out
        out = yield from typed(io, b"kill counter\r")
        assert "killed" in out and "(main)" in out
        try:
            yield lookup("counter", 0)
            assert False, "counter still registered"
        except kernel.Timeout:
            pass
        out = yield from typed(io, b"kill console\r")
        assert "will not kill itself" in out
        out = yield from typed(io, b"kill nobody\r")
        assert "error: noent: no task nobody" in out
        out = yield from typed(io, b"restart log\r")
        assert "error: unavail: no supervisor server" in out
        out = yield from typed(io, b"log x\r")
        assert "not a number" in out
    run(body, system(io))


def test_a_request_after_a_typed_line_is_answered_at_its_own_newline():
    # A line typed with CR, then a request ending in LF alone: its LF ends it (it is not
    # the second half of the CR's CRLF), so it is answered without waiting for more input.
    io = FakeIO()

    def body():
        yield from typed(io, b"help\r")
        out = yield from typed(io, (console.PREFIX + '{"id": 9, "cmd": "hello"}\n').encode())
        (r,) = replies(out)
        assert r["id"] == 9 and r["ok"]
    run(body, system(io))


def test_json_mode_requests_are_answered_not_echoed():
    io = FakeIO()

    def body():
        yield from log_api.client().log("info", "boot", "hello")
        req = console.PREFIX + json.dumps({"id": 1, "cmd": "hello", "args": {}}) + "\n"
        out = yield from typed(io, req.encode())
        assert "hello" not in out.split(console.PREFIX)[0]   # nothing echoed before the reply
        (r,) = replies(out)
        assert r["id"] == 1 and r["ok"] and r["data"]["protocol"] == 1
        assert set(["hello", "snapshot", "ps", "trace", "log"]) <= set(r["data"]["commands"])
        out = yield from typed(io, (console.PREFIX + '{"id": 2, "cmd": "ps"}\r\n').encode())
        (r,) = replies(out)
        names = [t["name"] for t in r["data"]]
        assert "console" in names and "log" in names[:3] or "main" in names
        t = r["data"][0]
        assert set(["tid", "name", "state", "prio", "mailbox", "cpu_ms", "mem", "restarts"]) <= set(t)
        # log since
        (r,) = replies((yield from typed(io, (console.PREFIX + '{"id": 3, "cmd": "log", "args": {"since": 0}}\n').encode())))
        assert [(x["seq"], x["level"], x["tag"], x["text"]) for x in r["data"]] == [(1, "info", "boot", "hello")]
        (r,) = replies((yield from typed(io, (console.PREFIX + '{"id": 4, "cmd": "log", "args": {"since": 1}}\n').encode())))
        assert r["data"] == []
        # trace since: seq numbers grow, nothing repeats
        (r,) = replies((yield from typed(io, (console.PREFIX + '{"id": 5, "cmd": "trace", "args": {}}\n').encode())))
        seqs = [e["seq"] for e in r["data"]]
        assert seqs and seqs == sorted(seqs) and "kind" in r["data"][0]
        (r,) = replies((yield from typed(io, (console.PREFIX + '{"id": 6, "cmd": "trace", "args": {"since": %d}}\n' % seqs[-1]).encode())))
        assert all(e["seq"] > seqs[-1] for e in r["data"])
        # snapshot
        (r,) = replies((yield from typed(io, (console.PREFIX + '{"id": 7, "cmd": "snapshot"}\n').encode())))
        d = r["data"]
        assert set(["tasks", "stats", "faults", "trace", "log"]) <= set(d) and d["log"][0]["text"] == "hello"
        # errors
        (r,) = replies((yield from typed(io, (console.PREFIX + '{"id": 8, "cmd": "reboot"}\n').encode())))
        assert r == {"id": 8, "ok": False, "error": "unknown command 'reboot'"}
        (r,) = replies((yield from typed(io, (console.PREFIX + "{not json\n").encode())))
        assert r["ok"] is False and r["id"] is None
        # the prefix may come after stray bytes on the line
        (r,) = replies((yield from typed(io, ("xx" + console.PREFIX + '{"id": 9, "cmd": "hello"}\n').encode())))
        assert r["id"] == 9 and r["ok"]
    run(body, system(io))


def test_ctrl_c_stops_the_kernel_keeping_state_and_run_resumes():
    io = FakeIO(b"ps\r\x03\r\x01rest")
    k = kernel.Kernel()
    seen = []

    def ticker():
        n = 0
        while True:
            n += 1
            seen.append(n)
            yield sleep(5)

    k.spawn(lambda: console.main(io=io, tick_ms=5), name="console", privileged=True)
    ctid = k.spawn(ticker, name="ticker")
    assert k.run() == "stopped"
    out = io.take()
    assert "ps\n" in out and "ticker" in out and out.endswith("^C\n")
    assert bytes(io.inbox) == b"\r\x01rest"          # what follows is left for the REPL
    assert k.task_info(ctid)["state"] in ("sleep", "ready")   # every task kept as it was
    n = len(seen)
    io.inbox = bytearray(b"stop\r")                  # resumed: the console works again
    assert k.run() == "stopped"
    assert len(seen) > n
    assert "kernel stopped" in io.take()


def test_quiet_console_neither_reads_nor_writes_but_serves_ipc():
    io = FakeIO(b"help\r")

    def body():
        yield sleep(40)
        assert io.text() == "" and bytes(io.inbox) == b"help\r"
        c = console_api.client()
        out = yield from c.run("ps")
        assert "console" in out and "TID" in out
        assert "commands:" in (yield from c.run("help"))
        line = yield from c.json(console.PREFIX + '{"id": 5, "cmd": "hello"}')
        assert replies(line)[0]["id"] == 5
        assert (yield from c.quiet(False))
        yield sleep(40)
        assert "commands:" in io.text() and not io.inbox
        srv = yield lookup("console")
        r = yield call(srv, ("run",))
        assert r[0] == "err" and r[1] == "badreq"
    run(body, [server(log.main), server(console.main, config={"io": io, "quiet": True, "tick_ms": 5}, name="console", privileged=True)])


def test_without_the_privileged_right_the_console_is_denied_not_broken():
    io = FakeIO()

    def body():
        c = console_api.client()
        out = yield from c.run("ps")
        assert out.startswith("error: Denied"), out
        assert "Denied" in (yield from c.run("kill log"))
        assert "Denied" in (yield from c.run("stop"))
        (r,) = replies((yield from c.json(console.PREFIX + '{"id": 2, "cmd": "ps"}')))
        assert r["id"] == 2 and r["ok"] is False and "Denied" in r["error"], r
        assert "commands:" in (yield from c.run("help"))       # and it keeps serving
        assert (yield lookup("log"))                            # nothing was killed
    run(body, [server(log.main), server(console.main, config={"io": io, "quiet": True, "tick_ms": 5}, name="console")])
