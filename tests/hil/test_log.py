# log server on the board: ring, since/tail, fire-and-forget writers, persistence to flash
# with rotation.
import os
import kernel
import hil
from servers.api import log

HIL_TIMEOUT_S = 30
DIR = "/hil_log"


def _rm(path):
    try:
        for n in os.listdir(path):
            os.remove(path + "/" + n)
        os.rmdir(path)
    except OSError:
        pass


def test_ring_since_and_send():
    def body():
        c = log.client()
        lg = log.Logger("hil")
        for i in range(5):
            assert (yield from lg.info("n=%d" % i))
        yield from c.log("debug", "hil", "below the level")
        yield kernel.sleep(10)
        recs = yield from c.since(2)
        assert [r[4] for r in recs] == ["n=2", "n=3", "n=4"], recs
        assert [r[0] for r in (yield from c.tail(2))] == [4, 5]
        assert (yield from c.stats())["filtered"] == 1
    hil.run(body, servers=({"name": "log", "config": {"capacity": 8, "level": "info"}},))


def test_persistence_rotates_on_flash():
    _rm(DIR)

    def body():
        c = log.client()
        for i in range(20):
            yield from c.log("warn", "hil", "record %02d" % i)
        files = yield from c.files()
        assert [p for p, _ in files] == [DIR + "/log.0", DIR + "/log.1"], files
        assert all(sz <= 100 for _, sz in files)
    hil.run(body, servers=({"name": "log", "config": {
        "capacity": 8, "level": "info", "persist": {"dir": DIR, "max_bytes": 100, "files": 2,
                                                    "level": "warn"}}},))
    assert sorted(os.listdir(DIR)) == ["log.0", "log.1"]
    with open(DIR + "/log.0") as f:
        last = f.read().strip().split("\n")[-1]
    assert last.startswith("20 ") and last.endswith("warn hil record 19"), last
    _rm(DIR)
