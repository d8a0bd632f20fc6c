# console server on the board, on a stand-in serial line (the real one belongs to the HIL
# runner here; tests/host/test_servers_sim.py drives the real one): commands, the JSON
# mode, and the IPC interface of a quiet console.
import json
import kernel
import hil
from servers import console
from servers.api import console as console_api, log

HIL_TIMEOUT_S = 20


class Line:
    def __init__(self):
        self.inbox = []
        self.out = []

    def read_byte(self):
        return self.inbox.pop(0) if self.inbox else None

    def write(self, s):
        self.out.append(s)

    def typed(self, text, ms=2000):
        # Type text; wait until it is all read and answered (prompt, or a JSON line).
        self.inbox.extend(text.encode())
        for _ in range(ms // 10):
            yield kernel.sleep(10)
            out = "".join(self.out)
            if not self.inbox and (out.endswith(console.PROMPT) or out.endswith("}\n")):
                break
        out = "".join(self.out)
        self.out = []
        return out


def test_commands_and_json_mode():
    line = Line()

    def body():
        yield from log.client().log("info", "hil", "hello board")
        out = yield from line.typed("ps\r")
        assert "console" in out and "log" in out and out.endswith(console.PROMPT), out
        out = yield from line.typed("log 3\r")
        assert "hil: hello board" in out, out
        out = yield from line.typed('send log ("stats",)\r')
        assert "'seq': 1" in out, out
        out = yield from line.typed(console.PREFIX + '{"id": 3, "cmd": "log", "args": {"since": 0}}\n')
        r = json.loads(out[out.find(console.PREFIX) + len(console.PREFIX):])
        assert r["id"] == 3 and r["data"][0]["text"] == "hello board", r
    hil.run(body, servers=({"name": "log"},
                           {"name": "console", "config": {"io": line, "tick_ms": 10}, "privileged": True}))


def test_quiet_console_over_ipc():
    def body():
        c = console_api.client()
        out = yield from c.run("ps")
        assert "console" in out
        r = yield from c.json(console.PREFIX + '{"id": 1, "cmd": "ps"}')
        tasks = json.loads(r[len(console.PREFIX):])["data"]
        assert "console" in [t["name"] for t in tasks]
        assert "restarts" in tasks[0]
    hil.run(body, servers=({"name": "console", "config": {"quiet": True}, "privileged": True},))
