"""The board side of the fast write path (host_tools/agent/receive.py, copy.py) under the
MicroPython unix port, fed the frames host_tools/transfer.py makes: files arrive intact,
plain and deflated, every frame is acknowledged once, the board reports the CRC-32 of what
it wrote, and a failed write (no such directory) still reads the whole stream before it
raises, so the link stays in step."""
import hashlib
import os
import zlib
import subprocess

import pytest

from host_tools import agent, transfer
from mpk_fixtures import MICROPYTHON


def _run(tmp_path, code, stdin=b""):
    script = tmp_path / "agent_run.py"
    script.write_text(code)
    return subprocess.run([MICROPYTHON, str(script)], input=stdin, capture_output=True, timeout=60)


def _files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    data = {
        "empty": b"",
        "small": b"hello board\n",
        "binary": bytes(range(256)) * 40,                          # 10 KB, 0x03 and 0x04 inside
        "big": os.urandom(40000),                                 # over DEFLATE_MAX: sent plain
        "text": b"".join(b"line %d of a module\n" % i for i in range(600)),
    }
    for name, body in data.items():
        (src / name).write_bytes(body)
    return src, data


def test_receiver_writes_every_file_intact_and_acknowledges_every_frame(tmp_path):
    src, data = _files(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for deflate, binary in ((False, False), (True, False), (False, True), (True, True)):
        items = [(str(src / n), str(out / ("%s-%d%d" % (n, deflate, binary)))) for n in sorted(data)]
        frame = transfer.BINARY_FRAME if binary else transfer.FRAME
        crcs = []
        frames = list(transfer.frames(items, deflate=deflate, frame=frame, binary=binary, crcs=crcs))
        assert any(f.startswith(b"b " if binary else b"d ") for f, _ in frames)
        call = "receive(%d%s)\n" % (transfer.wire_frame(frame, binary), ", inflate" if deflate else "")
        p = _run(tmp_path, agent.source("receive") + call, b"".join(f for f, _ in frames))
        assert p.returncode == 0, p.stderr.decode()
        # "R" (ready: Ctrl-C is off), then an acknowledgement per frame
        acks, rest = p.stdout[:len(frames) + 1], p.stdout[len(frames) + 1:]
        assert acks == b"R" + b"." * len(frames), p.stdout[:200]
        sums = rest.decode().split()
        assert sums == ["%08x" % zlib.crc32(data[n]) for n in sorted(data)] == ["%08x" % c for c in crcs]
        for n in sorted(data):
            assert (out / ("%s-%d%d" % (n, deflate, binary))).read_bytes() == data[n], (n, deflate, binary)
    # binary frames carry a quarter fewer bytes than base64 for what does not deflate
    b64 = sum(len(f) for f, _ in transfer.frames([(str(src / "big"), "/x")]))
    raw = sum(len(f) for f, _ in transfer.frames([(str(src / "big"), "/x")], frame=4096, binary=True))
    assert raw < b64 * 0.76
    # deflate made the stream shorter for the compressible file
    plain = sum(len(f) for f, _ in transfer.frames([(str(src / "text"), "/x")], deflate=False))
    packed = sum(len(f) for f, _ in transfer.frames([(str(src / "text"), "/x")], deflate=True))
    assert packed < plain / 2


def test_the_inflater_goes_to_the_board_only_for_a_transfer_that_deflates():
    assert "def inflate(" not in agent.call("receive", "receive(4096)")
    assert "def inflate(" in agent.call("receive", "receive(4096, inflate)")


def test_a_frame_larger_than_the_receivers_buffer_is_an_error_not_a_write(tmp_path):
    src, data = _files(tmp_path)
    frames = list(transfer.frames([(str(src / "big"), str(tmp_path / "big"))], frame=4096, binary=True))
    p = _run(tmp_path, agent.source("receive") + "receive(1024)\n", b"".join(f for f, _ in frames))
    assert p.returncode != 0 and b"the buffer holds 1024" in p.stdout + p.stderr


@pytest.mark.parametrize("binary", [False, True])
def test_a_failed_write_reads_the_rest_and_raises_at_the_end(tmp_path, binary):
    src, data = _files(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    items = [(str(src / "binary"), str(out / "ok1")), (str(src / "text"), str(tmp_path / "nodir" / "bad")),
             (str(src / "small"), str(out / "after"))]
    frame = transfer.BINARY_FRAME if binary else transfer.FRAME
    frames = list(transfer.frames(items, deflate=not binary, frame=frame, binary=binary))
    call = "receive(%d, inflate)\n" % transfer.wire_frame(frame, binary)
    p = _run(tmp_path, agent.source("receive") + call, b"".join(f for f, _ in frames))
    # (the unix port prints the traceback on stdout, after the acknowledgements)
    assert p.returncode != 0 and b"OSError" in p.stdout[len(frames) + 1:] + p.stderr, p.stdout
    assert p.stdout[:len(frames) + 1] == b"R" + b"." * len(frames)     # every frame was taken
    assert b"." not in p.stdout[len(frames) + 1:len(frames) + 2]
    assert (out / "ok1").read_bytes() == data["binary"]
    assert not (out / "after").exists()                        # nothing written after a failure


def test_copy_agent_copies_and_reports_crcs(tmp_path):
    src, data = _files(tmp_path)
    pairs = [(str(src / n), str(tmp_path / ("copy-" + n))) for n in ("binary", "empty", "big")]
    p = _run(tmp_path, agent.source("copy") + "copy(%r)\n" % pairs)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.decode().split() == ["%08x" % zlib.crc32(data[n]) for n in ("binary", "empty", "big")]
    for n in ("binary", "empty", "big"):
        assert (tmp_path / ("copy-" + n)).read_bytes() == data[n]


def test_agent_source_leaves_out_comment_lines_only():
    text = agent.source("receive")
    assert "def receive(" in text and not any(l.lstrip().startswith("#") for l in text.splitlines())
    assert len(text) < len(open(agent.path("receive")).read())


def test_scan_agent_reads_both_trees_as_deploy_parses_them(tmp_path):
    from host_tools import deploy as D

    slots = tmp_path / "mpk"
    (slots / "a" / "servers").mkdir(parents=True)
    (slots / "a" / "boot.mpy").write_bytes(b"M\x06boot")
    (slots / "a" / "servers" / "gpio.mpy").write_bytes(b"M\x06gpio" * 100)
    (slots / "active").write_text("a")
    expr = "scan(%r, 20, b'# mpk: ', False)" % (str(slots) + "/")
    p = _run(tmp_path, agent.call("scan", expr) + "print(sorted(k for k in globals() if k.startswith('_w')))\n")
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    lines = p.stdout.decode().splitlines()
    assert lines[-1] == "[]"                                   # the namespace is left as it was
    scan = D.parse_scan("\n".join(lines[:-1]).encode())
    assert scan["active"] == "a" and scan["b"] is None and scan["hash"] is True
    assert scan["a"]["servers/"] is None
    assert scan["a"]["servers/gpio.mpy"] == (hashlib.sha256(b"M\x06gpio" * 100).hexdigest()[:20], 600)
    # the idle tree, when there is one, is hashed on request only
    (slots / "b").mkdir()
    (slots / "b" / "x.mpy").write_bytes(b"x")
    p = _run(tmp_path, agent.call("scan", expr))
    quick = D.parse_scan(p.stdout)
    assert quick["b"] == {} and quick["unhashed"] == ["b"] and b"x.mpy" not in p.stdout
    p = _run(tmp_path, agent.call("scan", "hash_trees(%r, ['b'], 8)" % (str(slots) + "/")))
    assert p.stdout.decode().split() == ["F", "b", hashlib.sha256(b"x").hexdigest()[:8], "1", "x.mpy"]


def test_seal_writes_sums_that_the_next_scan_trusts_while_the_size_matches(tmp_path):
    from host_tools import deploy as D

    tree = tmp_path / "mpk" / "a"
    (tree / "servers").mkdir(parents=True)
    (tree / "servers" / "log.mpy").write_bytes(b"log v1")
    (tree / "boot.mpy").write_bytes(b"boot")
    (tmp_path / "mpk" / "active").write_text("a")
    # The host's hashes are taken as they are: a made-up one shows where a hash came from.
    (tree / ".sums.new").write_text("%s 4 boot.mpy\n%s 6 servers/log.mpy\n" % (
        hashlib.sha256(b"boot").hexdigest()[:20], "f" * 20))
    p = _run(tmp_path, agent.call("seal", "seal(%r, 'b1')" % (str(tree) + "/")))
    assert p.returncode == 0, p.stdout.decode()
    assert (tree / ".built").read_text() == "b1" and len((tree / ".sums").read_text().splitlines()) == 2
    assert not (tree / ".sums.new").exists()

    def read(trust):
        expr = "scan(%r, 20, b'# mpk: ', False, %r)" % (str(tmp_path / "mpk") + "/", trust)
        return D.parse_scan(_run(tmp_path, agent.call("scan", expr)).stdout)["a"]

    assert read(True)["servers/log.mpy"] == ("f" * 20, 6)           # from .sums: not read
    assert read(False)["servers/log.mpy"] == (hashlib.sha256(b"log v1").hexdigest()[:20], 6)  # --verify
    (tree / "servers" / "log.mpy").write_bytes(b"log v2 longer")       # another size: read again
    assert read(True)["servers/log.mpy"] == (hashlib.sha256(b"log v2 longer").hexdigest()[:20], 13)
    # a plan never counts the marks as files of the tree, and drops them before anything else
    plan = D.plan({"tree": {"boot.mpy": {"sha256": hashlib.sha256(b"boot").hexdigest(), "size": 4}},
                   "root": {}}, {"active": None, "a": read(True), "b": None})
    assert plan["target"] == "a" and ".sums" not in plan["send"] + plan["copy"] + plan["skip"]
    assert plan["remove"] == [".built", ".sums", "servers/log.mpy"]


def test_a_call_sends_what_it_needs_of_its_agent_and_runs_on_the_board(tmp_path):
    # `files.prepare` needs `_mkdir`; `files.ls` calls itself; neither needs the rest.
    root = str(tmp_path / "t") + "/"
    code = agent.call("files", "prepare(%r, [], [], ['d/', 'd/e/'])" % root)
    assert "def _mkdir(" in code and "def prepare(" in code
    assert "def ls(" not in code and "def keep_aside(" not in code
    assert len(code) < len(agent.source("files")) / 2
    listing = agent.call("files", "ls(%r, True)" % root)
    assert "def ls(" in listing and "def prepare(" not in listing
    p = _run(tmp_path, code + listing)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.decode().split() == ["('%sd'," % root, "True,", "0)", "('%sd/e'," % root, "True,", "0)"]
    # what the call defined is gone again from the namespace it ran in (a stopped
    # system's REPL shares it)
    again = agent.call("files", "prepare(%r, [], [], [])" % (str(tmp_path / "u") + "/"))
    p = _run(tmp_path, again + "print([n for n in ('prepare', '_mkdir') if n in globals()])\n")
    assert p.stdout.decode().strip().endswith("[]"), p.stdout


class _PipeBoard:
    """A board for transfer.send_files: the real receiver under the unix port, fed through a
    pipe that flips one byte of the data bound for `victim` (a link that damages it)."""

    def __init__(self, tmp_path, victim=None):
        self.tmp_path, self.victim, self.hit = tmp_path, victim, False

    def stream_exec(self, code, talk, timeout=10):
        script = self.tmp_path / "receiver.py"
        script.write_text(code)
        proc = subprocess.Popen([MICROPYTHON, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        board = self

        class Port:
            in_waiting = 0

            def write(self, data):
                if board.victim and board.victim.encode() in data and data[:1] in b"Ww":
                    data = data[:-1] + bytes([data[-1] ^ 1])       # a whole-file frame
                    board.hit = True
                elif board.victim and board.victim.encode() in data:
                    board.hit = "open"
                elif board.hit == "open" and data[:2] in (b"b ", b"d "):
                    data = data[:-1] + bytes([data[-1] ^ 1])       # one bit of its last byte
                    board.hit = True
                proc.stdin.write(data)
                proc.stdin.flush()

            def read(self, n):
                return proc.stdout.read(n)

        talk(Port())
        proc.stdin.close()
        out = proc.stdout.read()
        assert proc.wait(timeout) == 0
        return out


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("victim", ["text", "small"])         # several frames; one whole-file frame
def test_send_files_checks_every_file_against_what_was_sent(tmp_path, binary, victim):
    src, data = _files(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    items = [(str(src / n), str(out / n)) for n in sorted(data)]
    kinds = [f[:1] for f, _ in transfer.frames(items, binary=binary)]
    assert kinds.count(b"W" if binary else b"w") >= 2 and kinds.count(b"o") >= 2
    transfer.send_files(_PipeBoard(tmp_path), items, binary=binary)
    assert all((out / n).read_bytes() == data[n] for n in data)
    board = _PipeBoard(tmp_path, victim=str(out / victim))
    with pytest.raises(transfer.Damaged) as e:
        transfer.send_files(board, items, binary=binary)
    assert board.hit is True and e.value.remote == str(out / victim)
    assert "arrived damaged" in str(e.value)
