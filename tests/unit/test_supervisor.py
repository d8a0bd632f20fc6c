# supervisor policy with a fake kernel and clock: restart policies, exponential backoff,
# intensity limit, escalation to the group and then to a board reset, hold/release, and
# the protocol (status/history/restart/hold/release) including bad requests.
import kernel
from servers import supervisor as S
from servers.base import dispatch


class Fake:
    # Stands in for the kernel (spawn/kill/faults), the clock and the reset hook.
    def __init__(self):
        self.t = 1000
        self.next_tid = 100
        self.live = set()
        self.spawned = []
        self.killed = []
        self.resets = []
        self.fail = set()           # names whose spawn raises

    def spawn(self, spec):
        if spec["name"] in self.fail:
            raise ImportError("no module named " + spec["name"])
        self.next_tid += 1
        self.live.add(self.next_tid)
        self.spawned.append((spec["name"], self.next_tid))
        return self.next_tid

    def kill(self, tid):
        if tid not in self.live:
            raise kernel.Dead(tid)
        self.live.discard(tid)
        self.killed.append(tid)

    def faults(self):
        return [{"tid": t, "name": "x", "type": "RuntimeError", "text": "boom", "traceback": ""}
                for t in self.live]

    def now(self):
        return self.t

    def reset(self, why):
        self.resets.append(why)


def make(specs, **config):
    f = Fake()
    sup = S.Supervisor(specs, config, spawn=f.spawn, kill=f.kill, reset=f.reset,
                       faults=f.faults, now=f.now)
    sup.start_all()
    return f, sup


def crash(f, sup, name, reason="fault:RuntimeError"):
    tid = sup.by_name[name].tid
    sup.on_down(tid, reason)
    f.live.discard(tid)
    return tid


def settle(f, sup):
    # Advance the clock to the next pending restart and run it.
    d = sup.next_due()
    assert d is not None, "no restart pending"
    f.t += d
    sup.run_due()


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
    sup.on_down(tid, "fault:RuntimeError")
    rec = sup.history[-1]
    assert rec["name"] == "a" and rec["tid"] == tid and rec["reason"] == "fault:RuntimeError"
    assert rec["fault"]["text"] == "boom" and rec["action"] == "restart"


def test_hold_and_release():
    f, sup = make([{"name": "a"}])
    assert dispatch(S.PROTOCOL, sup, 1, ("hold", "a")) is True
    crash(f, sup, "a")
    assert sup.by_name["a"].state == S.HELD and sup.next_due() is None
    n = len(f.spawned)
    assert dispatch(S.PROTOCOL, sup, 1, ("release", "a")) is True
    assert len(f.spawned) == n + 1 and sup.by_name["a"].state == S.RUNNING


def test_manual_restart_and_ignored_down_of_killed_incarnation():
    f, sup = make([{"name": "a"}])
    old = sup.by_name["a"].tid
    new = dispatch(S.PROTOCOL, sup, 1, ("restart", "a"))
    assert new != old and old in f.killed
    assert sup.on_down(old, "killed") is None       # the one we killed: no second restart
    assert sup.by_name["a"].tid == new and sup.next_due() is None


def test_start_failure_is_recorded_not_retried():
    f = Fake()
    f.fail.add("broken")
    sup = S.Supervisor([{"name": "broken"}, {"name": "ok"}], spawn=f.spawn, kill=f.kill,
                       reset=f.reset, now=f.now)
    sup.start_all()
    assert sup.by_name["broken"].state == S.FAILED and sup.by_name["ok"].state == S.RUNNING
    assert sup.history[-1]["reason"].startswith("start:ImportError")


def test_protocol_status_history_and_bad_requests():
    f, sup = make([{"name": "a", "group": "g"}])
    st = dispatch(S.PROTOCOL, sup, 1, ("status",))
    assert st[0]["name"] == "a" and st[0]["state"] == "running" and st[0]["policy"] == "permanent"
    assert st[0]["held"] is False and st[0]["restarts"] == 0
    crash(f, sup, "a")
    assert len(dispatch(S.PROTOCOL, sup, 1, ("history", 5))) == 1
    for bad in [("restart", "nope"), ("hold",), ("history", -1), ("history", "x"), ("frob",), None]:
        r = dispatch(S.PROTOCOL, sup, 1, bad)
        assert type(r) is tuple and r[0] == "err", (bad, r)


def test_image_errors():
    for specs in ([{"name": "a"}, {"name": "a"}], [{"name": "a", "restart": "sometimes"}], [{}]):
        try:
            S.Supervisor(specs)
            raise AssertionError("accepted a bad image %r" % (specs,))
        except ValueError:
            pass
