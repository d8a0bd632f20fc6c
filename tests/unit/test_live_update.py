# Live update on a real kernel (servers/supervisor.py op update, servers/lib/live_update.py):
# a task whose code changed is replaced by one loaded from the new tree, keeping the state
# its old incarnation hands over; the other tasks keep running untouched; a new
# incarnation that faults in its grace period brings the old code (and state) back and
# the old tree is marked active again. Runs under CPython and the MicroPython unix port.
import os
import sys
import kernel
from kernel import lookup, call, sleep
from servers import supervisor
from servers.lib import live_update
from srvutil import run, server, tmpdir

SERVER = """
import kernel
from servers.lib.base import serve

VERSION = %d
PROTOCOL = {"version": ((), "", ()), "add": ((("n", int),), "", ()), "fail": ((), "", ())}


class Counter:
    def __init__(self, n):
        self.n = n
        self.period_ms = %s

    def op_version(self, sender):
        return VERSION

    def op_add(self, sender, n):
        self.n += n
        return self.n

    def on_tick(self):
        raise RuntimeError("version %%d is broken" %% VERSION)

    def handoff(self):
        return {"n": self.n}


def main(name, handoff=None):
    yield from serve(PROTOCOL, Counter((handoff or {}).get("n", 0)), name)
"""

OTHER = """
import kernel
from servers.lib.base import serve


class Other:
    def __init__(self):
        self.seen = 0

    def op_bump(self, sender):
        self.seen += 1
        return self.seen


def main(name):
    yield from serve({"bump": ((), "", ())}, Other(), name)
"""


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _trees():
    root = tmpdir()
    os.mkdir(root + "/mpk")
    trees = {}
    # a: version 1; b: version 2; c: version 3, which faults 50 ms after it starts
    for t, version, tick in (("a", 1, "None"), ("b", 2, "None"), ("c", 3, "50")):
        d = root + "/mpk/" + t
        os.mkdir(d)
        _write(d + "/lu_counter.py", SERVER % (version, tick))
        _write(d + "/lu_other.py", OTHER)
        trees[t] = d
    return root, trees


def _outcome(s, ms=3000):
    # ("updated",) once the grace period is over.
    for _ in range(ms // 20):
        r = yield call(s, ("updated",))
        if r is not None:
            return r
        yield sleep(20)
    raise AssertionError("the update did not end")


def test_a_changed_task_is_replaced_with_its_state_and_a_faulty_one_rolls_back():
    root, trees = _trees()
    saved = (live_update.SLOT_DIR, live_update.ACTIVE, list(sys.path))
    live_update.SLOT_DIR = root + "/mpk/"
    live_update.ACTIVE = root + "/mpk/active"
    sys.path.insert(0, trees["a"])
    tasks = [{"name": "counter", "module": "lu_counter", "prio": 3},
             {"name": "other", "module": "lu_other", "prio": 3}]
    sup = server(supervisor.main, config={"tasks": tasks, "backoff_ms": 1, "reset": lambda why: None},
                 name="supervisor", prio=7, mailbox=16, privileged=True)

    def body():
        s = yield lookup("supervisor", 1000)
        counter = yield lookup("counter", 1000)
        other = yield lookup("other", 1000)
        assert (yield call(counter, ("version",))) == 1
        assert (yield call(counter, ("add", 5))) == 5
        assert (yield call(other, ("bump",))) == 1
        r = yield call(s, ("update", ["lu_counter"], trees["b"], 200), 2000)
        assert r["tasks"][0][:2] == ("counter", counter) and r["grace_ms"] == 200, r
        assert (yield call(s, ("updated",))) is None                # in its grace period
        done = yield from _outcome(s)
        assert done["rolled_back"] is False and done["tasks"] == r["tasks"], done
        new = yield lookup("counter", 1000)
        assert new != counter and r["tasks"][0][2] == new
        assert (yield call(new, ("version",))) == 2          # the new code
        assert (yield call(new, ("add", 1))) == 6            # the state it was handed
        assert (yield lookup("other")) == other              # untouched, state and all
        assert (yield call(other, ("bump",))) == 2
        assert live_update.tree_on_path() == trees["b"]

        # version 3 faults within its grace period: version 2 comes back, with the state
        yield call(s, ("update", ["lu_counter"], trees["c"], 500), 3000)
        r = yield from _outcome(s)
        assert r["rolled_back"] is True and r["task"] == "counter", r
        assert r["fault"]["type"] == "RuntimeError" and "version 3" in r["fault"]["text"], r
        back = yield lookup("counter", 1000)
        for _ in range(50):
            back = yield lookup("counter", 1000)
            try:
                v = yield call(back, ("version",), 200)
                break
            except kernel.Dead:
                yield sleep(10)
        assert v == 2 and (yield call(back, ("add", 1))) == 7
        assert (yield lookup("other")) == other
        assert live_update.tree_on_path() == trees["b"]
        with open(root + "/mpk/active") as f:
            assert f.read() == "b"                          # a reset boots the old code

        # refused: a module no task runs, and a tree that is already the one in use
        r = yield call(s, ("update", ["lu_nothing"], trees["c"], 100))
        assert r[0] == "err" and r[1] == "badreq" and "lu_nothing" in r[2], r
        hist = yield call(s, ("history", 32))
        acts = [(h["reason"], h["action"]) for h in hist if h["name"] == "counter"]
        assert acts == [("update", "restart"), ("update", "restart"), ("update:fault:RuntimeError", "rollback")], acts

    try:
        run(body, servers=[sup], timeout_ms=8000)
    finally:
        live_update.SLOT_DIR, live_update.ACTIVE = saved[0], saved[1]
        sys.path[:] = saved[2]
        for m in ("lu_counter", "lu_other"):
            sys.modules.pop(m, None)
