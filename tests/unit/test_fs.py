# fs server: jails, quotas, atomic writes, handles closed when a client dies, bad requests.
# Runs under CPython (pytest) and the MicroPython unix port (mp_runner.py).
import kernel
from kernel import call, lookup, spawn, monitor, recv, register, sleep
from servers import fs
from servers.api import fs as fs_api
from servers.lib.base import ServerError
from srvutil import run, server, tmpdir, rmtree, listing


def with_fs(body, quota=1000, clients=None):
    root = tmpdir()
    try:
        run(lambda: body(root), [server(fs.main, config={"root": root + "/data", "quota": quota, "clients": clients})])
    finally:
        rmtree(root)


def expect_err(code, gen):
    try:
        yield from gen
    except ServerError as e:
        assert e.code == code, (code, e.code, e.text)
        return e
    raise AssertionError("no %s error" % code)


def test_put_get_list_stat_usage():
    def body(root):
        c = fs_api.client()
        assert (yield from c.put("a.txt", b"hello")) == 5
        assert (yield from c.get("a.txt")) == b"hello"
        assert (yield from c.mkdir("sub/deeper"))
        assert (yield from c.put("sub/b.bin", b"xyz")) == 3
        assert (yield from c.list()) == [("a.txt", False, 5), ("sub", True, 0)]
        assert (yield from c.list("sub")) == [("b.bin", False, 3), ("deeper", True, 0)]
        assert (yield from c.stat("a.txt")) == (5, False)
        assert (yield from c.stat("sub")) == (0, True)
        assert (yield from c.usage()) == (8, 1000)
        assert (yield from c.remove("a.txt"))
        assert (yield from c.usage()) == (3, 1000)
        yield from expect_err("noent", c.stat("a.txt"))
        yield from expect_err("noent", c.get("nope"))
        # the client's directory is <root>/<task name>
        assert listing(root + "/data") == ["body/sub/b.bin"]
    with_fs(body)


def test_write_is_applied_only_on_close():
    def body(root):
        c = fs_api.client()
        yield from c.put("cfg", b"old contents")
        h = yield from c.open("cfg", "w")
        assert (yield from c.write(h, b"new ")) == 4
        assert (yield from c.write(h, bytearray(b"data"))) == 4
        # Until close the file is as it was; the new bytes sit in a temporary file.
        assert (yield from c.get("cfg")) == b"old contents"
        names = listing(root + "/data/body")
        assert len(names) == 2 and "cfg" in names and [n for n in names if n.startswith(".~")]
        assert (yield from c.list()) == [("cfg", False, 12)]  # temporary files are hidden
        assert (yield from c.close(h))
        assert (yield from c.get("cfg")) == b"new data"
        assert listing(root + "/data/body") == ["cfg"]
        assert (yield from c.usage())[0] == 8
        # abort drops a write
        h = yield from c.open("cfg", "w")
        yield from c.write(h, b"never")
        assert (yield from c.abort(h))
        assert (yield from c.get("cfg")) == b"new data"
        assert listing(root + "/data/body") == ["cfg"]
        # append starts from a copy, also applied on close
        h = yield from c.open("cfg", "a")
        yield from c.write(h, b"+more")
        assert (yield from c.get("cfg")) == b"new data"
        yield from c.close(h)
        assert (yield from c.get("cfg")) == b"new data+more"
        h = yield from c.open("cfg")
        assert (yield from c.read(h, 4)) == b"new "
        assert (yield from c.read(h, 100)) == b"data+more"
        assert (yield from c.read(h, 100)) == b""
        yield from c.close(h)
        yield from expect_err("noent", c.close(h))
    with_fs(body)


def test_quota_refuses_and_server_keeps_serving():
    def body(root):
        c = fs_api.client()
        yield from c.put("a", b"x" * 60)
        yield from expect_err("quota", c.put("b", b"y" * 50))
        assert (yield from c.usage()) == (60, 100)
        h = yield from c.open("c", "w")
        yield from c.write(h, b"z" * 30)
        yield from expect_err("quota", c.write(h, b"z" * 20))
        yield from c.close(h)
        assert (yield from c.get("c")) == b"z" * 30          # the accepted part only
        assert (yield from c.usage()) == (90, 100)
        # replacing a file needs room for old and new until the rename
        yield from expect_err("quota", c.put("a", b"w" * 20))
        assert (yield from c.get("a")) == b"x" * 60
        yield from c.remove("a")
        assert (yield from c.put("a", b"w" * 10)) == 10
        assert (yield from c.usage()) == (40, 100)
        assert listing(root + "/data/body") == ["a", "c"]
    with_fs(body, quota=100)


def test_paths_stay_inside_the_jail():
    def body(root):
        c = fs_api.client()
        jail = root + "/data/body"
        for bad in ("../x", "a/../../x", "/etc/passwd", root + "/data/other/f", jail + "x/f",
                    ".~1", "d/.~tmp"):
            yield from expect_err("denied", c.put(bad, b"1"))
        yield from expect_err("denied", c.remove(""))
        yield from expect_err("denied", c.open("."))
        assert (yield from c.put(jail + "/abs", b"ok")) == 2    # absolute, but inside
        assert (yield from c.get("./abs")) == b"ok"
        assert listing(root + "/data") == ["body/abs"]
    with_fs(body)


def test_clients_are_confined_by_name_with_config():
    def other():
        c = fs_api.client()
        yield from c.put("mine", b"logger data")
        assert (yield from c.usage()) == (11, 5000)

    def body(root):
        yield spawn(other, name="logger")        # jailed by its task name
        yield sleep(20)
        c = fs_api.client()
        yield from expect_err("noent", c.get("mine"))
        assert (yield from c.list()) == []
        assert listing(root + "/data") == []
        assert listing(root + "/logs") == ["mine"]
    root = tmpdir()
    try:
        def body2():
            yield from body(root)
        run(body2, [server(fs.main, config={"root": root + "/data", "quota": 1000,
                                                    "clients": {"logger": {"dir": root + "/logs", "quota": 5000}}})])
    finally:
        rmtree(root)


def test_dead_client_loses_its_unfinished_write():
    def writer():
        c = fs_api.client()
        h = yield from c.open("state", "w")
        yield from c.write(h, b"half")
        yield sleep(10000)               # killed here, file still open

    def body(root):
        c = fs_api.client()
        srv = yield lookup("fs")
        wtid = yield spawn(writer, name="body")   # same name: same directory
        yield sleep(30)
        assert len([n for n in listing(root + "/data/body") if n.startswith(".~")]) == 1
        yield monitor(wtid)
        yield kernel.kill(wtid)
        s, m = yield recv()
        assert m[0] == "down"
        yield call(srv, ("usage",))       # the server has handled the down message by now
        assert listing(root + "/data/body") == []
        assert (yield from c.usage())[0] == 0
        yield from expect_err("noent", c.stat("state"))
    with_fs(body)


def test_stale_temporary_files_are_swept():
    root = tmpdir()
    try:
        fs.makedirs(root + "/data/body")
        with open(root + "/data/body/.~7", "wb") as f:
            f.write(b"left by a power cut")
        with open(root + "/data/body/keep", "wb") as f:
            f.write(b"12345")

        def body():
            c = fs_api.client()
            assert (yield from c.usage()) == (5, 1000)
            assert listing(root + "/data/body") == ["keep"]
        run(body, [server(fs.main, config={"root": root + "/data", "quota": 1000})])
    finally:
        rmtree(root)


def test_handles_are_per_client_and_limited():
    def other(h):
        c = fs_api.client()
        yield from expect_err("noent", c.read(h))
        yield from expect_err("noent", c.close(h))

    def body(root):
        c = fs_api.client()
        yield from c.put("f", b"data")
        hs = []
        for _ in range(fs.MAX_HANDLES_PER_CLIENT):
            hs.append((yield from c.open("f")))
        yield from expect_err("quota", c.open("f"))
        yield spawn(other, hs[0], name="other")
        yield sleep(20)
        assert (yield from c.read(hs[0])) == b"data"
        yield from expect_err("badreq", c.write(hs[0], b"x"))
        for h in hs:
            yield from c.close(h)
    with_fs(body)


def test_malformed_requests_get_error_replies():
    def body(root):
        srv = yield lookup("fs")
        for msg in ("open", (), ("nope",), ("open", 5), ("open", "f", "rw"), ("read", "1"),
                    ("write", 1, "text"), ("put", "f"), ("get", "f", 1, 2), ("read", 1, -1)):
            r = yield call(srv, msg)
            assert type(r) is tuple and r[0] == "err", (msg, r)
        yield from expect_err("noent", fs_api.client().read(12345))
        yield from expect_err("badreq", fs_api.client().open("f", "x"))
        yield from expect_err("noent", fs_api.client().open("missing"))
        yield from expect_err("noent", fs_api.client().put("no/dir/f", b""))
        assert (yield call(srv, ("put", "f", b"ok"))) == 2     # still serving
    with_fs(body)
