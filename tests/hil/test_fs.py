# fs server on the board's littlefs: quotas, atomic writes (a killed writer or a killed
# fs server never leaves half a file), jails.
import os
import kernel
import hil
from servers.api import fs
from servers.lib.base import ServerError

HIL_TIMEOUT_S = 30
ROOT = "/hil_fs"


def _rm(path):
    try:
        st = os.stat(path)
    except OSError:
        return
    if st[0] & 0x4000:
        for n in os.listdir(path):
            _rm(path + "/" + n)
        os.rmdir(path)
    else:
        os.remove(path)


def _expect(code, gen):
    try:
        yield from gen
    except ServerError as e:
        assert e.code == code, (code, str(e))
        return
    raise AssertionError("no %s error" % code)


def _fs(quota):
    return ({"name": "fs", "config": {"root": ROOT, "quota": quota}},)


def test_quota_and_atomic_write_on_flash():
    _rm(ROOT)

    def body():
        c = fs.client()
        assert (yield from c.put("a.txt", b"x" * 150)) == 150
        yield from _expect("quota", c.put("b.txt", b"y" * 100))
        h = yield from c.open("a.txt", "w")
        yield from c.write(h, b"new contents")
        assert (yield from c.get("a.txt")) == b"x" * 150      # nothing applied before close
        yield from _expect("quota", c.write(h, b"z" * 60))     # 150 + 12 + 60 > 200
        yield from c.close(h)
        assert (yield from c.get("a.txt")) == b"new contents"
        assert (yield from c.usage()) == (12, 200)
        assert sorted(os.listdir(ROOT + "/hil-body")) == ["a.txt"]
    hil.run(body, servers=_fs(200))
    _rm(ROOT)


def test_killed_writer_and_killed_server_leave_the_file_whole():
    _rm(ROOT)

    def writer():
        c = fs.client()
        h = yield from c.open("state", "w")
        yield from c.write(h, b"half a")
        yield kernel.sleep(100000)

    def body():
        c = fs.client()
        yield from c.put("state", b"version 1")
        # a client dies mid-write
        w = yield kernel.spawn(writer, name="hil-body")
        yield kernel.sleep(50)
        yield kernel.kill(w)
        yield kernel.sleep(20)
        assert (yield from c.get("state")) == b"version 1"
        assert sorted(os.listdir(ROOT + "/hil-body")) == ["state"]
        # the fs server dies mid-write; the supervisor restarts it
        h = yield from c.open("state", "w")
        yield from c.write(h, b"version 2, never finished")
        old = yield kernel.lookup("fs")
        yield kernel.kill(old)
        new = yield from _restarted("fs", old)
        assert new is not None, "fs server not restarted"
        try:
            yield from c.close(h)
            assert False, "a handle survived the server"
        except kernel.Dead:
            pass                                       # the client saw the old server die
        except ServerError as e:
            assert e.code == "noent"
        assert (yield from c.get("state")) == b"version 1"
        # the temporary file of the lost write was swept on the next use
        assert sorted(os.listdir(ROOT + "/hil-body")) == ["state"]
    hil.run(body, servers=_fs(1000))
    _rm(ROOT)


def _restarted(name, old, timeout_ms=2000):
    # Generator: the tid registered under name once it is another than old, or None.
    for _ in range(timeout_ms // 10):
        try:
            tid = yield kernel.lookup(name, 0)
            if tid != old:
                return tid
        except kernel.Timeout:
            pass
        yield kernel.sleep(10)
    return None


def test_jail_refuses_escapes():
    _rm(ROOT)

    def body():
        c = fs.client()
        for bad in ("../x", "/main.py", "/hil_fs/other/x", "a/../../b"):
            yield from _expect("denied", c.put(bad, b"1"))
        yield from c.mkdir("sub")
        assert (yield from c.put("/hil_fs/hil-body/sub/f", b"ok")) == 2
        assert (yield from c.list()) == [("sub", True, 0)]
        assert (yield from c.list("sub")) == [("f", False, 2)]
    hil.run(body, servers=_fs(1000))
    assert os.listdir(ROOT) == ["hil-body"]
    _rm(ROOT)
