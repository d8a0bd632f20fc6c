# /srv (firmware/srvfs.py): the running system as files. A supervised system (the log
# server, an app that logs, a task that faults once and is restarted) runs, stops, and its
# files are read: from outside the loop as the REPL reads them, and from tasks while it
# runs (with the `info` rights). Under CPython, which cannot mount, the filesystem
# object's methods are called directly; under the MicroPython unix port it is really
# mounted at /srv and read with open() and os.listdir().
import os
import sys

import kernel
from kernel import sleep
from firmware import srvfs
from servers import log, supervisor
from servers.api import log as log_api
from servers.lib.base import describe
from unitutil import MICROPYTHON, raises

# errno values (MicroPython's errno module lacks some)
ENOENT, EBADF, EACCES, ENODEV, ENOTDIR, EISDIR, EROFS = 2, 9, 13, 19, 20, 21, 30

_crashes = []


def crasher():
    _crashes.append(1)
    if len(_crashes) == 1:
        raise ValueError("first incarnation fails")
    while True:                     # blocked in recv: ps reads the same twice (no timer)
        yield kernel.recv()


def app():
    lg = log_api.Logger("app")
    yield from lg.info("app up")
    yield from lg.warn("careful")
    while True:
        yield kernel.recv()


TASKS = [
    {"name": "log", "prio": 5, "mailbox": 8, "config": {"capacity": 8, "level": "debug"}},
    {"name": "crash", "fn": crasher, "prio": 2, "group": "app"},
    {"name": "app", "fn": app, "prio": 2, "talks_to": ("log",)},
]


def system(extra=None):
    # The supervised system, run for 60 ms and stopped (every task kept).
    del _crashes[:]
    k = kernel.Kernel()
    k.spawn(lambda: supervisor.main("supervisor", tasks=[dict(t) for t in TASKS], backoff_ms=1,
                                    reset=lambda why: None),
            name="supervisor", prio=7, mailbox=16, privileged=True)
    if extra is not None:
        extra(k)

    def stopper():
        yield sleep(60)
        k.stop()
        while True:
            yield kernel.recv()

    k.spawn(stopper, name="stopper")
    assert k.run() == "stopped"
    return k


def capture(fn, *args):
    # What fn print()s, as text (MicroPython and CPython alike).
    import builtins

    out = []
    real = builtins.print

    def fake(*a, **kw):
        out.append(" ".join(str(x) for x in a) + kw.get("end", "\n"))

    builtins.print = fake
    try:
        fn(*args)
    finally:
        builtins.print = real
    return "".join(out)


def read(fs, path, mode="r"):
    f = fs.open(path, mode)
    try:
        return f.read()
    finally:
        f.close()


def names(fs, path):
    return sorted(e[0] for e in fs.ilistdir(path))


def errno_of(fn, *args):
    return raises(OSError, fn, *args).errno


def test_root_lists_the_files_and_a_directory_per_task():
    k = system()
    fs = srvfs.SrvFS(k)
    top = names(fs, "/")
    for n in ("ps", "trace", "faults", "log", "supervisor", "crash", "app", "stopper", "log.task"):
        assert n in top, top
    assert "pinger" not in top          # (no heartbeats here: no pinger task)
    assert names(fs, "/log.task") == ["info", "protocol"]
    assert names(fs, "/app") == ["info"]           # no protocol: an app, not a server
    assert fs.stat("/")[0] == 0x4000 and fs.stat("/ps")[0] == 0x8000
    assert fs.stat("/log.task")[0] == 0x4000 and fs.stat("/log.task/info")[0] == 0x8000
    assert fs.stat("/log")[0] == 0x8000            # the ring; the server's dir is log.task
    for bad in ("/nope", "/app/protocol", "/app/nope", "/ps/x", "/app/info/x", "/log.task.task"):
        assert errno_of(fs.stat, bad) == ENOENT, bad
    assert errno_of(fs.ilistdir, "/ps") == ENOTDIR
    assert errno_of(fs.open, "/app", "r") == EISDIR
    fs.chdir("/log.task")
    assert fs.getcwd() == "/log.task" and fs.stat("protocol")[0] == 0x8000
    assert fs.stat("../ps")[0] == 0x8000
    assert "protocol" in [e[0] for e in fs.ilistdir("")]
    fs.chdir("/")
    assert fs.getcwd() == "/"


def test_ps_is_the_repl_table_and_small_reads_give_the_same_text():
    k = system()
    from firmware import repl

    fs = srvfs.SrvFS(k)
    text = read(fs, "/ps")
    assert text == capture(repl.ps), (text, capture(repl.ps))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["TID", "NAME", "STATE"]
    rows = {l.split()[1]: l.split() for l in lines[1:]}
    for n in ("supervisor", "log", "crash", "app", "stopper"):
        assert n in rows, rows
    assert rows["crash"][-2:] == ["1", "1"]         # restarted once, one fault
    assert rows["app"][-2] == "0" and rows["stopper"][-2] == "-"    # not supervised
    assert rows["log"][2] == "recv"
    # read(16) again and again, readline, iterating, readinto, binary: the same text
    f = fs.open("/ps", "r")
    parts = []
    while True:
        s = f.read(16)
        if not s:
            break
        assert len(s) <= 16
        parts.append(s)
    f.close()
    assert "".join(parts) == text
    with fs.open("/ps", "r") as f:
        assert [f.readline() for _ in lines] == [l + "\n" for l in lines] and f.readline() == ""
    with fs.open("/ps", "r") as f:
        assert "".join(line for line in f) == text
    with fs.open("/ps", "r") as f:
        assert f.readline(5) == lines[0][:5] and f.readline() == lines[0][5:] + "\n"
    buf = bytearray(16)
    got = bytearray()
    with fs.open("/ps", "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            got.extend(buf[:n])
    assert bytes(got) == text.encode()
    f = fs.open("/ps", "r")
    n = f.readinto(buf)                             # text mode too (C stream readers)
    assert bytes(buf[:n]) == text.encode()[:16]
    f.close()
    assert read(fs, "/ps", "rb") == text.encode()


def test_info_shows_state_mailbox_and_restarts():
    k = system()
    fs = srvfs.SrvFS(k)
    info = {}
    for line in read(fs, "/crash/info").splitlines():
        key, _, v = line.partition(" ")
        info[key] = v.strip()
    assert info["name"] == "crash" and info["state"] == "recv", info
    assert info["mailbox"] == "0/8" and info["restarts"] == "1" and info["faults"] == "1", info
    assert info["supervised"] == "running" and info["policy"] == "permanent", info
    assert info["group"] == "app" and info["privileged"] == "False", info
    info = dict(l.split(None, 1) for l in read(fs, "/log.task/info").splitlines())
    assert info["state"] == "recv" and info["waits"] == "msg" and info["names"] == "log", info
    assert info["mailbox"] == "0/8" and info["talks_to"] == "any", info
    info = dict(l.split(None, 1) for l in read(fs, "/app/info").splitlines())
    assert info["talks_to"] == "log", info
    info = dict(l.split(None, 1) for l in read(fs, "/stopper/info").splitlines())
    assert info["restarts"] == "- (not supervised)", info


def test_protocol_is_the_servers_own():
    k = system()
    fs = srvfs.SrvFS(k)
    text = read(fs, "/log.task/protocol")
    assert text == describe(log_api.PROTOCOL) + "\n"
    assert text.startswith("files() -> ") and "tail(n=10) -> list of the last n records" in text
    assert "restart(name) -> the new tid  errors: noent" in read(fs, "/supervisor/protocol")


def test_log_tail_and_a_line_written_is_logged():
    k = system()
    fs = srvfs.SrvFS(k)
    lines = read(fs, "/log").splitlines()
    assert [l.split(None, 3)[2:] for l in lines] == [["info", "app: app up"], ["warn", "app: careful"]], lines
    f = fs.open("/log", "w")
    assert f.write("hello from /srv\nsecond ") == 23
    f.write(b"line")
    f.close()                                       # the unfinished line is logged too
    with fs.open("/log", "a") as f:
        print("third", file=f) if MICROPYTHON else f.write("third\n")
    tail = read(fs, "/log").splitlines()
    assert [l.split(None, 3)[3] for l in tail[-3:]] == [
        "srv: hello from /srv", "srv: second line", "srv: third"], tail
    assert tail[-1].split()[0] == "5"               # seq: the ring's own
    for _ in range(10):                             # past capacity 8: the last 8 kept
        with fs.open("/log", "w") as f:
            f.write("x\n")
    tail = read(fs, "/log").splitlines()
    assert len(tail) == 8 and tail[-1].split()[0] == "15", tail


def test_everything_else_is_read_only():
    k = system()
    fs = srvfs.SrvFS(k)
    for path in ("/ps", "/trace", "/faults", "/app/info", "/log.task/protocol"):
        for mode in ("w", "a", "r+", "wb"):
            assert errno_of(fs.open, path, mode) == EROFS, (path, mode)
    f = fs.open("/ps", "r")
    assert errno_of(f.write, "x") == EBADF
    f.close()
    assert errno_of(fs.open, "/new", "w") == ENOENT
    assert errno_of(fs.remove, "/ps") == EROFS
    assert errno_of(fs.mkdir, "/d") == EROFS
    assert errno_of(fs.rmdir, "/app") == EROFS
    assert errno_of(fs.rename, "/ps", "/ps2") == EROFS
    assert fs.statvfs("/")[8] & 1                   # ST_RDONLY


def test_trace_and_faults_are_the_repl_texts():
    k = system()
    from firmware import repl

    fs = srvfs.SrvFS(k)
    text = read(fs, "/trace")
    assert text == capture(repl.trace, 1000), text
    assert " fault    crash[" in text and "spawn" in text
    text = read(fs, "/faults")
    assert text == capture(repl.faults)
    assert text.startswith("crash (tid ") and "ValueError first incarnation fails" in text


def test_no_kernel_and_no_events():
    k = kernel.Kernel(trace=0)
    fs = srvfs.SrvFS(k)
    assert read(fs, "/trace") == "(no events)\n"
    assert read(fs, "/faults") == "(no faults)\n"
    assert read(fs, "/ps").count("\n") == 1
    assert "log" not in names(fs, "/")              # no log server in this kernel
    assert errno_of(fs.open, "/log", "w") == ENOENT


def test_tasks_read_it_while_the_kernel_runs_with_the_info_rights():
    seen = {}

    def reader():
        yield sleep(20)
        with open_srv("/ps") as f:
            seen["ps"] = f.read()
        seen["top"] = [e[0] for e in FS[0].ilistdir("/")]
        f = open_srv("/trace")
        seen["trace"] = f.readline()
        yield sleep(5)                               # the trace moves on meanwhile
        seen["trace"] += f.read()
        f.close()

    def nosy():
        yield sleep(20)
        me = yield kernel.self_()
        for path in ("/ps", "/trace", "/faults", "/app/info", "/"):
            try:
                open_srv(path).read() if path != "/" else list(FS[0].ilistdir(path))
                seen[path] = "read"
            except OSError as e:
                seen[path] = e.errno
        seen["own"] = open_srv("/nosy/info").read()
        seen["proto"] = open_srv("/supervisor/protocol").read()
        try:
            open_srv("/log").read()
        except OSError as e:
            seen["log"] = e.errno
        seen["me"] = me

    def extra(k):
        FS[0] = srvfs.SrvFS(k)
        k.spawn(reader, name="reader", privileged=True)
        k.spawn(nosy, name="nosy", caps=("supervisor",))

    system(extra)
    rows = {l.split()[1]: l.split() for l in seen["ps"].splitlines()[1:]}
    assert rows["reader"][2] == "running" and rows["log"][2] == "recv", rows
    assert "nosy" in seen["top"] and "log.task" in seen["top"]
    assert seen["trace"].count("\n") > 10 and "(no events)" not in seen["trace"]
    for path in ("/ps", "/trace", "/faults", "/app/info", "/"):
        assert seen[path] == EACCES, (path, seen[path])
    assert "nosy" in seen["own"] and "running" in seen["own"]
    assert seen["proto"].startswith("history(n=32)")
    assert seen["log"] == EACCES              # it may not talk to the log server


FS = [None]


def open_srv(path, mode="r"):
    return FS[0].open(path, mode)


def test_mounted_at_srv():
    k = system()
    if not MICROPYTHON:
        # CPython has no vfs.mount: the object is all there is (tested above)
        assert errno_of(srvfs.mount, k) == ENODEV
        assert srvfs.umount() is False
        return
    import gc

    sys.modules.pop("firmware.srvfs_files", None)
    srvfs.mount(k)
    srvfs.mount(k)                                  # again: the first one is replaced
    try:
        # the files' code is loaded when /srv is first used, not when it is mounted
        assert "firmware.srvfs_files" not in sys.modules
        assert sorted(os.listdir("/srv"))[:4] == ["app", "crash", "faults", "log"], os.listdir("/srv")
        assert "firmware.srvfs_files" in sys.modules
        assert "log.task" in os.listdir("/srv") and "srv" in os.listdir("/")
        assert os.listdir("/srv/log.task") == ["info", "protocol"]
        text = open("/srv/ps").read()
        assert text.splitlines()[0].startswith("TID") and "crash" in text
        with open("/srv/ps", "rb") as f:
            assert f.read() == text.encode()
        assert os.stat("/srv")[0] & 0x4000 and os.stat("/srv/ps")[0] & 0x8000
        assert "tail(n=10)" in open("/srv/log.task/protocol").read()
        with open("/srv/log", "w") as f:
            f.write("through the mount\n")
        assert open("/srv/log").read().splitlines()[-1].endswith("srv: through the mount")
        assert errno_of(open, "/srv/ps", "w") == EROFS
        assert errno_of(os.remove, "/srv/ps") == EROFS
        assert errno_of(open, "/srv/nope") == ENOENT
        cwd = os.getcwd()
        os.chdir("/srv/app")
        try:
            assert os.getcwd() == "/srv/app" and "state" in open("info").read()
        finally:
            os.chdir(cwd)
        gc.collect()
    finally:
        assert srvfs.umount() is True
    assert srvfs.umount() is False                  # nothing left to unmount
    assert "srv" not in os.listdir("/") or os.stat("/srv")[0] & 0x4000
    raises(OSError, open, "/srv/ps")
