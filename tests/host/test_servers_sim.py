"""The console and watchdog servers on a virtual board of their own, end to end: what the
on-device HIL tests cannot do from inside the raw REPL.

* the console on the real serial line, in a system started from the friendly REPL: echo,
  commands, the JSON mode as host_tools/console_protocol.py speaks it, Ctrl-C stopping
  the kernel into the REPL with every task kept, and resuming it;
* the watchdog with the board's real (simulated) WDT: fed while the critical task checks
  in, and the board reset when it stops; machine.reset_cause() then says WDT.
"""
import os
import time

import pytest

from host_tools import console_protocol as cp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TREES = ("kernel", "servers", "servers/api", "servers/lib", "boards", "hal", "firmware", "firmware/apps")


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    try:
        from host_tools.sim import VirtualBoard, child

        child.find_micropython()
    except Exception as e:  # noqa: no interpreter for the virtual board here
        pytest.skip("no virtual board: %s" % e)
    from mpremote.transport_serial import SerialTransport

    vb = VirtualBoard(flash=str(tmp_path_factory.mktemp("srv") / "flash.img")).start()
    t = SerialTransport(vb.port, baudrate=115200)
    try:
        t.enter_raw_repl(soft_reset=False)
        for tree in TREES:
            t.exec("import os\ntry:\n os.mkdir(%r)\nexcept OSError:\n pass" % ("/" + tree))
            for f in sorted(os.listdir(os.path.join(ROOT, tree))):
                if f.endswith(".py"):
                    with open(os.path.join(ROOT, tree, f), "rb") as fh:
                        data = fh.read()
                    t.exec("f=open(%r,'wb')\nf.write(%r)\nf.close()" % ("/%s/%s" % (tree, f), data))
        t.exit_raw_repl()
        yield vb, t
    finally:
        try:
            t.close()
        except Exception:
            pass
        vb.stop()


def send(t, data):
    t.serial.write(data)
    t.serial.flush()


def after(vb, mark, pattern, timeout=5.0):
    """Board output after byte offset `mark`, once it contains pattern."""
    deadline = time.monotonic() + timeout
    while True:
        out = vb.output()[mark:]
        if pattern in out:
            return out
        if time.monotonic() > deadline:
            raise AssertionError("board did not print %r; got %r" % (pattern, out[-600:]))
        time.sleep(0.02)


START = (b"import kernel; from servers import console, log; k = kernel.Kernel(forever=True); "
         b"k.spawn(log.main, name='log'); k.spawn(console.main, name='console', privileged=True); k.run()\r")


def test_console_on_the_serial_line_ctrl_c_and_resume(board):
    vb, t = board
    mark = len(vb.output())
    send(t, b"\r")
    after(vb, mark, b">>> ")
    mark = len(vb.output())
    send(t, START)
    time.sleep(0.3)
    send(t, b"ps\r")
    out = after(vb, mark, b"mpk> ")
    assert b"ps\r\n" in out and b"console" in out and b"recv" in out, out
    # JSON mode: a request line as mpk sends it, a reply line as mpk reads it
    mark = len(vb.output())
    send(t, cp.encode_request(7, "hello") + cp.encode_request(8, "log", {"since": 0}))
    out = after(vb, mark, b'"id": 8')
    replies, other = cp.ReplyScanner().feed(out + b"\n")
    assert [r["id"] for r in replies] == [7, 8], out
    assert replies[0]["data"]["protocol"] == cp.PROTOCOL and replies[1]["data"] == []
    assert b"hello" not in other                  # request lines are not echoed
    # Ctrl-C: the kernel stops into the REPL, with every task kept
    mark = len(vb.output())
    send(t, b"\x03")
    out = after(vb, mark, b">>> ")
    assert b"^C" in out and b"'stopped'" in out and b"Traceback" not in out, out
    mark = len(vb.output())
    send(t, b"print(sorted(k.task_info(x)['name'] for x in k.tasks()), kernel.running_kernel() is k)\r")
    out = after(vb, mark, b">>> ")
    assert b"['console', 'log'] True" in out, out
    # resume: the same console answers again
    mark = len(vb.output())
    send(t, b"kernel.running_kernel().run()\r")
    time.sleep(0.3)
    send(t, b"log 1\r")
    out = after(vb, mark, b"mpk> ")
    assert b"(no log records)" in out, out
    mark = len(vb.output())
    send(t, b"\x03")
    after(vb, mark, b"'stopped'\r\n>>> ")


WATCHDOG = """\
import kernel
from kernel import sleep
from servers import watchdog
from servers.api import watchdog as watchdog_api

def worker():
    wd = watchdog_api.client()
    for i in range(25):
        yield from wd.checkin()
        yield sleep(40)
    print('worker stops checking in')
    while True:
        yield sleep(1000)

k = kernel.Kernel(forever=True)
k.spawn(lambda: watchdog.main(critical={'worker': 150}, timeout_ms=400, grace_ms=0, feed_ms=50), name='watchdog')
k.spawn(worker, name='worker')
print('system up')
k.run()
"""


def test_watchdog_resets_the_board_when_a_critical_task_stops(board):
    vb, t = board
    t.enter_raw_repl(soft_reset=True)
    mark = len(vb.output())
    n_events = len(vb.events)
    t.exec_raw_no_follow(WATCHDOG)
    after(vb, mark, b"system up")
    # fed for about a second (2.5x the WDT timeout) while the worker checks in
    after(vb, mark, b"worker stops checking in", timeout=5)
    assert "watchdog reset" not in vb.events[n_events:], vb.events
    deadline = time.monotonic() + 5
    while "watchdog reset" not in vb.events[n_events:]:
        assert time.monotonic() < deadline, "no watchdog reset; events %r" % vb.events
        time.sleep(0.05)
    # the board is back; it says why it reset
    time.sleep(0.5)
    t.enter_raw_repl(soft_reset=False)
    out = t.exec("import machine\nprint(machine.reset_cause(), machine.reset_cause() == machine.WDT_RESET)")
    assert out.split() == [b"3", b"True"], out


def test_a_bad_image_is_refused_at_boot_with_one_line_and_nothing_started(board):
    # The firmware's own main() on the board, with a misspelt config key: it says which
    # task and key, starts no task, and leaves the REPL usable.
    vb, t = board
    t.enter_raw_repl(soft_reset=False)
    try:
        out = t.exec("import sys\n"
                     "from firmware import system, main as fw\n"
                     "system.IMAGE['board'] = 'sim'\n"
                     "system.IMAGE['tasks'][2]['config'] = {'root': '/data', 'colour': 1}\n"
                     "try:\n"
                     "    fw.main()\n"
                     "except ValueError as e:\n"
                     "    print('refused:', type(e).__name__)\n"
                     "print('kernel' in sys.modules and __import__('kernel').running_kernel())\n")
    finally:
        t.exit_raw_repl()
    text = out.decode()
    assert "mpk: image: task fs: unknown config key 'colour' (servers.fs takes: clients, quota, root)" in text, text
    assert "refused: ImageError" in text and "tasks in the image" not in text, text
    assert text.strip().splitlines()[-1] in ("None", "False"), text     # no kernel ran
