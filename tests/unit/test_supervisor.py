# supervisor policy with a fake kernel and clock: restart policies, exponential backoff,
# intensity limit, escalation to the group and then to a board reset, hold/release, and
# the protocol (status/history/restart/hold/release) including bad requests.
import kernel
from servers import supervisor as S
from servers.api import supervisor as S_api
from servers.lib.base import dispatch, finish, is_gen


def done(r):
    # Run a supervisor generator whose fakes make no system call (a handler's errors
    # become error replies, as in the server); its return value.
    if not is_gen(r):
        return r
    r = finish(r, "op")
    try:
        while True:
            sc = next(r)
            raise AssertionError("the fakes made a system call: %r" % (sc,))
    except StopIteration as e:
        return e.value


class Fake:
    # Stands in for the kernel (spawn/kill/heap_of), the clock and the reset hook.
    def __init__(self):
        self.t = 1000
        self.next_tid = 100
        self.live = set()
        self.spawned = []
        self.killed = []
        self.resets = []
        self.fail = set()           # names whose spawn raises

        self.heap = {}              # tid -> bytes allocated so far

    def spawn(self, spec):
        if spec["name"] in self.fail:
            raise ImportError("no module named " + spec["name"])
        self.next_tid += 1
        self.live.add(self.next_tid)
        self.spawned.append((spec["name"], self.next_tid))
        return self.next_tid
        yield                       # a generator function, like the real one

    def kill(self, tid):
        if tid not in self.live:
            raise kernel.Dead(tid)
        self.live.discard(tid)
        self.killed.append(tid)
        return
        yield

    def heap_of(self, tid):
        return self.heap.get(tid, 0) if tid in self.live else None
        yield

    def now(self):
        return self.t

    def reset(self, why):
        self.resets.append(why)


def make(specs, **config):
    f = Fake()
    sup = S.Supervisor(specs, config, spawn=f.spawn, kill=f.kill, reset=f.reset,
                       now=f.now, heap_of=f.heap_of)
    done(sup.start_all())
    return f, sup


def fault(tid):
    return {"tid": tid, "name": "x", "type": "RuntimeError", "text": "boom", "traceback": ""}


def crash(f, sup, name, reason="fault:RuntimeError"):
    tid = sup.by_name[name].tid
    f.live.discard(tid)
    done(sup.on_down(tid, reason, fault(tid) if reason != "normal" else None))
    return tid


def settle(f, sup):
    # Advance the clock to the next pending restart and run it.
    d = sup.next_due()
    assert d is not None, "no restart pending"
    f.t += d
    done(sup.run_due())


def test_policies():
    f, sup = make([{"name": "p", "restart": "permanent"}, {"name": "tr", "restart": "transient"},
                   {"name": "te", "restart": "temporary"}])
    for name in ("p", "tr", "te"):
        crash(f, sup, name)
    assert sup.by_name["te"].state == S.STOPPED
    settle(f, sup)
    assert sup.by_name["p"].state == S.RUNNING and sup.by_name["tr"].state == S.RUNNING
    # a normal end: permanent comes back, transient and temporary stay down
    crash(f, sup, "p", "normal")
    crash(f, sup, "tr", "normal")
    assert sup.by_name["tr"].state == S.STOPPED
    settle(f, sup)
    assert sup.by_name["p"].state == S.RUNNING
    assert sup.by_name["p"].restarts == 2 and sup.by_name["tr"].restarts == 1


def test_backoff_doubles_and_first_restart_is_immediate():
    f, sup = make([{"name": "a"}], intensity=10, backoff_ms=10, backoff_max_ms=50)
    delays = []
    for _ in range(6):
        crash(f, sup, "a")
        delays.append(sup.history[-1]["delay_ms"])
        settle(f, sup)
    assert delays == [0, 10, 20, 40, 50, 50], delays


def test_stable_period_resets_backoff():
    f, sup = make([{"name": "a"}], backoff_ms=10, period_ms=1000)
    crash(f, sup, "a")
    settle(f, sup)
    crash(f, sup, "a")
    assert sup.history[-1]["delay_ms"] == 10
    settle(f, sup)
    f.t += 5000                     # ran fine for longer than the period
    crash(f, sup, "a")
    assert sup.history[-1]["delay_ms"] == 0


def test_intensity_escalates_to_group_then_reset():
    f, sup = make([{"name": "a", "group": "g"}, {"name": "b", "group": "g"}, {"name": "c"}],
                  intensity=2, group_intensity=1, backoff_ms=1)
    b0 = sup.by_name["b"].tid
    c0 = sup.by_name["c"].tid
    for _ in range(2):
        crash(f, sup, "a")
        settle(f, sup)
    crash(f, sup, "a")              # third in the period: past intensity 2
    assert sup.history[-1]["action"] == "group"
    assert b0 in f.killed and sup.by_name["b"].tid != b0      # the whole group restarted
    assert sup.by_name["c"].tid == c0                         # other groups untouched
    assert f.resets == []
    for _ in range(2):
        crash(f, sup, "a")
        settle(f, sup)
    crash(f, sup, "a")              # past intensity again: second group restart > 1
    assert sup.history[-1]["action"] == "reset"
    assert len(f.resets) == 1 and "group g" in f.resets[0]
    assert sup.by_name["a"].state == S.FAILED and sup.next_due() is None


def test_critical_task_resets_board_at_once():
    f, sup = make([{"name": "a", "critical": True}], intensity=1)
    crash(f, sup, "a")
    settle(f, sup)
    crash(f, sup, "a")
    assert len(f.resets) == 1 and "critical" in f.resets[0]
    f2, sup2 = make([{"name": "t", "critical": True, "restart": "temporary"}])
    crash(f2, sup2, "t")
    assert len(f2.resets) == 1


def test_records_carry_reason_and_fault():
    f, sup = make([{"name": "a"}])
    tid = sup.by_name["a"].tid
    done(sup.on_down(tid, "fault:RuntimeError", fault(tid)))
    rec = sup.history[-1]
    assert rec["name"] == "a" and rec["tid"] == tid and rec["reason"] == "fault:RuntimeError"
    assert rec["fault"]["text"] == "boom" and rec["action"] == "restart"


def test_hold_and_release():
    f, sup = make([{"name": "a"}])
    assert done(dispatch(S_api.PROTOCOL, sup, 1, ("hold", "a"))) is True
    crash(f, sup, "a")
    assert sup.by_name["a"].state == S.HELD and sup.next_due() is None
    n = len(f.spawned)
    assert done(dispatch(S_api.PROTOCOL, sup, 1, ("release", "a"))) is True
    assert len(f.spawned) == n + 1 and sup.by_name["a"].state == S.RUNNING


def test_manual_restart_and_ignored_down_of_killed_incarnation():
    f, sup = make([{"name": "a"}])
    old = sup.by_name["a"].tid
    new = done(dispatch(S_api.PROTOCOL, sup, 1, ("restart", "a")))
    assert new != old and old in f.killed
    assert done(sup.on_down(old, "killed")) is None   # the one we killed: no second restart
    assert sup.by_name["a"].tid == new and sup.next_due() is None


def test_start_failure_is_recorded_not_retried():
    f = Fake()
    f.fail.add("broken")
    sup = S.Supervisor([{"name": "broken"}, {"name": "ok"}], spawn=f.spawn, kill=f.kill,
                       reset=f.reset, now=f.now)
    done(sup.start_all())
    assert sup.by_name["broken"].state == S.FAILED and sup.by_name["ok"].state == S.RUNNING
    assert sup.history[-1]["reason"].startswith("start:ImportError")


def test_protocol_status_history_and_bad_requests():
    f, sup = make([{"name": "a", "group": "g"}])
    st = dispatch(S_api.PROTOCOL, sup, 1, ("status",))
    assert st[0]["name"] == "a" and st[0]["state"] == "running" and st[0]["policy"] == "permanent"
    assert st[0]["held"] is False and st[0]["restarts"] == 0
    crash(f, sup, "a")
    assert len(dispatch(S_api.PROTOCOL, sup, 1, ("history", 5))) == 1
    for bad in [("restart", "nope"), ("hold",), ("history", -1), ("history", "x"), ("frob",), None]:
        r = done(dispatch(S_api.PROTOCOL, sup, 1, bad))
        assert type(r) is tuple and r[0] == "err", (bad, r)


def test_image_errors():
    for specs in ([{"name": "a"}, {"name": "a"}], [{"name": "a", "restart": "sometimes"}], [{}]):
        try:
            S.Supervisor(specs)
            raise AssertionError("accepted a bad image %r" % (specs,))
        except ValueError:
            pass


def test_quota_ends_a_child_that_allocates_too_much_per_window():
    f, sup = make([{"name": "hog", "quota": 4096}, {"name": "modest", "quota": 4096},
                   {"name": "free"}])
    hog, modest = sup.by_name["hog"].tid, sup.by_name["modest"].tid
    assert sup.next_due() == S.QUOTA_WINDOW_MS          # the first check is a window away
    f.t += S.QUOTA_WINDOW_MS
    done(sup.run_due())                                 # the first check: a baseline
    assert f.killed == []
    f.heap[hog] = 10000                                 # 10000 bytes in one window
    f.heap[modest] = 3000
    f.t += S.QUOTA_WINDOW_MS
    done(sup.run_due())
    assert f.killed == [hog] and modest in f.live
    rec = sup.history[-1]
    assert rec["name"] == "hog" and rec["reason"] == "quota" and rec["action"] == "restart"
    assert rec["fault"]["type"] == "QuotaExceeded" and "10000 bytes" in rec["fault"]["text"]
    assert sup.next_due() == 0                          # restarted at once, per its policy
    done(sup.run_due())
    new = sup.by_name["hog"].tid
    assert new != hog and new in f.live
    assert sup.by_name["hog"].restarts == 1 and sup.by_name["modest"].restarts == 0
    f.heap[modest] = 6000                               # 3000 more: within the quota
    f.t += S.QUOTA_WINDOW_MS
    done(sup.run_due())
    assert modest in f.live and f.killed == [hog]


def test_a_start_that_may_pass_is_retried_with_backoff():
    f = Fake()
    tries = []

    def flaky_spawn(spec):
        tries.append(f.t)
        if len(tries) < 3:
            raise MemoryError("memory allocation failed")
        return (yield from f.spawn(spec))
    sup = S.Supervisor([{"name": "a"}], {"backoff_ms": 50}, spawn=flaky_spawn, kill=f.kill,
                       reset=f.reset, now=f.now)
    done(sup.start_all())
    c = sup.by_name["a"]
    assert c.state == S.BACKOFF and c.tid is None and sup.next_due() == 0
    done(sup.run_due())                       # the first retry is immediate; it fails too
    assert c.state == S.BACKOFF and sup.next_due() == 50
    f.t += 50
    done(sup.run_due())
    assert c.state == S.RUNNING and c.tid is not None and len(tries) == 3
    assert [h["reason"][:17] for h in sup.history] == ["start:MemoryError"] * 2
    assert not f.resets


def test_retried_starts_still_escalate():
    f = Fake()

    def never(spec):
        raise OSError(12)
        yield
    sup = S.Supervisor([{"name": "a", "critical": True}], {"intensity": 2, "backoff_ms": 1},
                       spawn=never, kill=f.kill, reset=f.reset, now=f.now)
    done(sup.start_all())
    for _ in range(5):
        f.t += 10
        done(sup.run_due())
    assert len(f.resets) == 1 and "critical" in f.resets[0], f.resets
    assert sup.by_name["a"].state == S.FAILED and sup.next_due() is None


def test_pings_fall_due_by_each_tasks_heartbeat_and_only_the_pinger_may_ask():
    f, sup = make([{"name": "a", "heartbeat_ms": 100}, {"name": "b", "heartbeat_ms": 300},
                   {"name": "c"}])
    sup.add(S.pinger_spec(1))
    done(sup.start_all())      # starts the pinger (the others run already)
    pinger = sup.by_name[S.PINGER].tid
    r = done(dispatch(S_api.PROTOCOL, sup, 5, ("pings",)))
    assert r[1] == "denied", r
    assert done(dispatch(S_api.PROTOCOL, sup, 5, ("hung", "a", sup.by_name["a"].tid, 1)))[1] == "denied"
    assert done(dispatch(S_api.PROTOCOL, sup, pinger, ("pings",))) == ([], 100)
    f.t += 100
    due, wait = done(dispatch(S_api.PROTOCOL, sup, pinger, ("pings",)))
    assert due == [("a", sup.by_name["a"].tid, 2000)] and wait == 100, (due, wait)
    f.t += 200
    due, wait = done(dispatch(S_api.PROTOCOL, sup, pinger, ("pings",)))
    assert [d[0] for d in due] == ["a", "b"] and wait == 100


def test_a_hung_task_is_ended_and_restarted_as_a_hang():
    f, sup = make([{"name": "a", "heartbeat_ms": 100}])
    sup.add(S.pinger_spec(1))
    done(sup.start_all())
    pinger = sup.by_name[S.PINGER].tid
    old = sup.by_name["a"].tid
    assert done(dispatch(S_api.PROTOCOL, sup, pinger, ("hung", "a", old + 99, 5000))) is False
    assert done(dispatch(S_api.PROTOCOL, sup, pinger, ("hung", "a", old, 5000))) is True
    assert old in f.killed
    h = sup.history[-1]
    assert h["reason"] == "hang" and h["action"] == "restart" and h["fault"]["type"] == "Hang"
    done(sup.run_due())
    assert sup.by_name["a"].tid not in (None, old) and sup.by_name["a"].state == S.RUNNING

