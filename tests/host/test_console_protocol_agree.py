"""The board's console server and the host's console_protocol agree (the board keeps its own
copy of the constants, since on-device code never imports host_tools)."""
import os
import sys

import kernel
from host_tools import console_protocol as cp
from servers import console, log
from servers.api import log as log_api

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "unit"))
from srvutil import run, server  # noqa: E402


class Line:
    def __init__(self, data):
        self.inbox = bytearray(data)
        self.out = []

    def read_byte(self):
        if not self.inbox:
            return None
        b = self.inbox[0]
        del self.inbox[0]
        return b

    def write(self, s):
        self.out.append(s)


def test_constants_match():
    assert console.PREFIX == cp.PREFIX
    assert console.PREFIX.encode() == cp.PREFIX_BYTES
    assert console.JSON_PROTOCOL == cp.PROTOCOL
    for cmd in ("hello", "snapshot", "ps", "trace", "log"):   # what the host asks for
        assert cmd in console.JSON_COMMANDS


def test_host_requests_get_replies_the_host_understands():
    reqs = [cp.encode_request(1, "hello"), cp.encode_request(2, "ps"),
            cp.encode_request(3, "log", {"since": 0}), cp.encode_request(4, "trace", {"since": 0}),
            cp.encode_request(5, "snapshot"), cp.encode_request(6, "nope")]
    line = Line(b"".join(reqs))

    def body():
        yield from log_api.client().log("info", "app", "started")
        yield kernel.sleep(100)

    run(body, [server(log.main), server(console.main, config={"io": line, "tick_ms": 5}, name="console", privileged=True)])
    # What a board sends: print() is cooked there, "\n" -> "\r\n".
    wire = "".join(line.out).replace("\n", "\r\n").encode()
    replies, other = cp.ReplyScanner().feed(wire)
    assert other.strip() == b""                      # nothing but replies: no echo, no prompt
    by_id = {r["id"]: r for r in replies}
    assert sorted(by_id) == [1, 2, 3, 4, 5, 6]
    assert by_id[1]["data"]["protocol"] == cp.PROTOCOL
    assert "console" in [t["name"] for t in by_id[2]["data"]]
    assert [(r["seq"], r["text"]) for r in by_id[3]["data"]] == [(1, "started")]
    assert all("seq" in e for e in by_id[4]["data"])
    assert set(by_id[5]["data"]) >= {"tasks", "stats", "trace", "log", "faults"}
    assert by_id[6]["ok"] is False and "unknown command" in by_id[6]["error"]
    # the board's replies parse with the board-side helper of the host module too
    assert cp.parse_request(cp.encode_request(9, "ps")) == {"id": 9, "cmd": "ps", "args": {}}
