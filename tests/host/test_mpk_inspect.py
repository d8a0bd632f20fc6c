"""mpk ps/top/trace/log: the console server's JSON mode, and stop-read-resume through the REPL."""
import json
from pathlib import Path

import pytest

from host_tools import console_protocol as cp
from host_tools.board_conn import open_board
from host_tools.live import format_event, format_table
from mpk_fixtures import ROOT, assert_one_line_error, run_mpk, sim_available, virtual_board  # noqa: F401

ok, why = sim_available()
needs_sim = pytest.mark.skipif(not ok, reason=why)
FAKE = (Path(__file__).parent / "mpk_fake_kernel.py").read_text()


# --- the protocol, no board --------------------------------------------------------------
def test_protocol_round_trip():
    line = cp.encode_request(7, "trace", {"since": 3})
    assert line.startswith(b"\x1empk:") and line.endswith(b"\n") and line.count(b"\n") == 1
    req = cp.parse_request(line.decode())
    assert req == {"id": 7, "cmd": "trace", "args": {"since": 3}}
    assert cp.parse_request("print('hello')") is None
    sc = cp.ReplyScanner()
    reply = cp.encode_reply(7, data=[{"seq": 4}]).encode()
    replies, other = sc.feed(b"log line\r\nhalf a li" + reply[:10])
    assert replies == [] and other == b"log line\r\n"
    replies, other = sc.feed(reply[10:] + b"\r\nmore\r\n")
    assert replies == [{"id": 7, "ok": True, "data": [{"seq": 4}]}]
    assert other == b"half a limore\r\n"
    assert cp.ReplyScanner().feed(cp.encode_reply(1, ok=False, error="nope").encode() + b"\n")[0][0]["error"] == "nope"


def test_rendering():
    rows = [{"tid": 1, "name": "idle", "state": "ready", "mailbox": [0, 4], "extra": None},
            {"name": "i2c0", "tid": 2, "state": "recv", "mailbox": [1, 8], "cpu_ms": 1.5}]
    text = format_table(rows).splitlines()
    assert text[0].split() == ["TID", "NAME", "STATE", "MAILBOX", "CPU_MS", "EXTRA"]
    assert text[2].split() == ["2", "i2c0", "recv", "1/8", "1.5", "-"]
    assert format_event({"seq": 3, "kind": "send", "src": "a", "dst": "b", "n": 1}) == '3 kind=send src=a dst=b {"n":1}'
    assert format_event([10, "spawn", 3, None]) == "10 spawn 3 -"


# --- against a virtual board running a stand-in kernel -------------------------------------
def start_system(vb, server):
    with open_board(vb.port) as b:
        b.exec("with open('/kernel.py', 'w') as f:\n f.write(%r)\nwith open('/main.py', 'w') as f:\n"
               " f.write('import kernel\\nkernel.start(%s)\\n')" % (FAKE, server))
        b.soft_reset()
    vb.wait_output(b"kernel running 1")


@needs_sim
def test_fallback_stops_reads_and_resumes(virtual_board):
    start_system(virtual_board, server=False)
    p = run_mpk("ps", "--json", "--port", virtual_board.port)
    assert p.returncode == 0, p.stderr
    tasks = json.loads(p.stdout)
    assert [t["name"] for t in tasks] == ["idle", "i2c0"]
    virtual_board.wait_output(b"kernel running 2")  # resumed
    p = run_mpk("ps", "--port", virtual_board.port)
    assert p.stdout.split()[:6] == ["TID", "NAME", "STATE", "PRIO", "MAILBOX", "CPU_MS"]
    virtual_board.wait_output(b"kernel running 3")
    p = run_mpk("trace", "--json", "--port", virtual_board.port)
    assert [json.loads(l)["seq"] for l in p.stdout.splitlines()] == [1, 2, 3]
    p = run_mpk("log", "--port", virtual_board.port)
    assert "level=info task=app hello" in p.stdout
    assert_one_line_error(run_mpk("ps", "--via", "server", "--port", virtual_board.port), "no answer from the console server")


@needs_sim
def test_console_server_json_mode_never_stops_the_system(virtual_board):
    start_system(virtual_board, server=True)
    p = run_mpk("top", "--json", "--iterations", "3", "--interval", "0.1", "--via", "server", "--port", virtual_board.port)
    assert p.returncode == 0, p.stderr
    frames = [json.loads(l) for l in p.stdout.splitlines()]
    assert len(frames) == 3 and frames[-1]["stats"]["runs"] == 1  # never stopped
    assert frames[0]["tasks"][0]["cpu_ms"] < frames[-1]["tasks"][0]["cpu_ms"]
    p = run_mpk("trace", "--follow", "--iterations", "2", "--interval", "0.1", "--port", virtual_board.port)
    assert p.stdout.count("kind=send") == 3  # the second poll asks since=3 and gets nothing new
    p = run_mpk("ps", "--port", virtual_board.port)
    assert "i2c0" in p.stdout
    assert b"kernel running 2" not in virtual_board.output()


@needs_sim
def test_no_kernel_is_one_line(virtual_board):
    assert_one_line_error(run_mpk("ps", "--port", virtual_board.port), "no kernel")


# --- against the real kernel (kernel/) -------------------------------------------------------
def _real_kernel_ready():
    text = (ROOT / "kernel" / "core.py").read_text() if (ROOT / "kernel" / "core.py").exists() else ""
    return "def running_kernel" in text and "def snapshot" in text


REAL_MAIN = """\
import kernel
def worker():
    while True:
        yield kernel.sleep(20)
k = kernel.Kernel()
k.spawn(worker, name='worker')
print('real kernel up')
k.run()
"""


@needs_sim
@pytest.mark.skipif(not _real_kernel_ready(), reason="kernel/ has no running_kernel() and snapshot() yet")
def test_real_kernel_via_repl(virtual_board):
    assert run_mpk("deploy", "--port", virtual_board.port, timeout=120).returncode == 0
    with open_board(virtual_board.port) as b:
        b.exec("with open('/main.py', 'w') as f:\n f.write(%r)" % REAL_MAIN)
        b.soft_reset()
    virtual_board.wait_output(b"real kernel up")
    p = run_mpk("ps", "--json", "--via", "repl", "--port", virtual_board.port)
    assert p.returncode == 0, p.stderr
    assert "worker" in [t.get("name") for t in json.loads(p.stdout)]
    p = run_mpk("ps", "--via", "repl", "--port", virtual_board.port)
    assert "worker" in p.stdout
