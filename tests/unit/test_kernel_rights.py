# Kernel rights (kernel/rights.py): every privileged act is a checked system call. Kill,
# spawn beyond the parent, reading other tasks, the table, faults and trace, stopping:
# Denied without the privileged right; a child never gets more than its parent. Hardware
# claims (kernel/resources.py). Runs under CPython and the MicroPython unix port.
import kernel
from kernel import (recv, reply, call, send, notify, register, lookup, kill, spawn, info, stop,
                    handle, claim, release, self_, sleep, Dead, Denied, Busy)


def idle(name="victim"):
    yield register(name)
    while True:
        s, m = yield recv()
        yield reply(s, m)


def denied(out, label, sc):
    # Generator: make the system call; note label if it was Denied.
    try:
        yield sc
        out.append(label + " allowed")
    except Denied:
        out.append(label + " denied")


def test_the_attack_in_the_review_is_refused():
    # A task with caps=("log",) at priority 0 tried to spawn a child with wider caps at
    # priority 7 and kill an unrelated task: each step is now Denied.
    k = kernel.Kernel()
    out = []
    victim = k.spawn(idle, name="victim", prio=3)
    k.spawn(idle, "log", name="log")

    def child():
        yield kill(victim)

    def attacker():
        yield from denied(out, "spawn wider caps", spawn(child, caps=("anything", victim)))
        yield from denied(out, "spawn higher prio", spawn(child, prio=7))
        yield from denied(out, "kill", kill(victim))

    k.spawn(attacker, caps=("log",), prio=0)
    k.run()
    assert out == ["spawn wider caps denied", "spawn higher prio denied", "kill denied"]
    assert victim in k.tasks()


def test_kill_needs_the_right_but_a_task_may_end_itself():
    k = kernel.Kernel()
    out = []
    victim = k.spawn(idle)

    def plain():
        yield from denied(out, "kill other", kill(victim))
        me = yield self_()
        out.append("ending myself")
        yield kill(me)
        out.append("never here")

    def boss():
        yield sleep(5)
        yield kill(victim)
        out.append("boss killed victim")

    k.spawn(plain)
    k.spawn(boss, privileged=True)
    k.run()
    assert out == ["kill other denied", "ending myself", "boss killed victim"]
    assert victim not in k.tasks()


def test_spawn_never_widens_caps_priority_or_privilege():
    k = kernel.Kernel()
    out = []
    k.spawn(idle, "a", name="a")
    k.spawn(idle, "b", name="b")

    def child():
        me = yield self_()
        rec = yield info("task", me)
        out.append(("child", rec["caps"], rec["prio"], rec["privileged"]))
        yield from denied(out, "child sends to b", send((yield lookup("b")), "x"))

    def parent():
        yield from denied(out, "wider caps", spawn(child, caps=("a", "b")))
        yield from denied(out, "higher prio", spawn(child, prio=3))
        yield from denied(out, "privileged", spawn(child, privileged=True))
        yield spawn(child, prio=1)                 # no caps given: the parent's, no more

    k.spawn(parent, caps=("a",), prio=2)
    k.run()
    assert out == ["wider caps denied", "higher prio denied", "privileged denied",
                   ("child", ("a",), 1, False), "child sends to b denied"]


def test_a_privileged_parent_gives_privilege_and_a_narrower_child_stays_narrow():
    k = kernel.Kernel()
    out = []
    victim = k.spawn(idle)

    def grandchild():
        yield from denied(out, "grandchild kill", kill(victim))

    def narrow():
        yield from denied(out, "narrow kill", kill(victim))
        yield from denied(out, "narrow spawns privileged", spawn(grandchild, privileged=True))

    def deputy():
        yield spawn(narrow, name="narrow", caps=("victim",))
        yield sleep(5)
        yield from denied(out, "deputy kill", kill(victim))

    def root():
        yield spawn(deputy, privileged=True)

    k.spawn(root, privileged=True, prio=5)
    k.run()
    assert out == ["narrow kill denied", "narrow spawns privileged denied", "deputy kill allowed"]


def test_reading_other_tasks_the_table_faults_and_trace_needs_the_right():
    k = kernel.Kernel()
    out = []
    victim = k.spawn(idle)

    def plain():
        me = yield self_()
        out.append(("own record", (yield info("task", me))["tid"] == me))
        out.append(("stats", "tasks" in (yield info("stats"))))
        out.append(("name", (yield info("name", victim))))
        for what, arg in (("task", victim), ("next", 0), ("faults", 4), ("trace", 4)):
            yield from denied(out, what, info(what, arg))

    def watcher():
        r = yield info("next", 0)
        names = []
        while r is not None:
            cursor, rec = r
            names.append(rec["name"])
            r = yield info("next", cursor)
        out.append(("table", sorted(names)))
        out.append(("trace has names", all(len(e) == 6 for e in (yield info("trace", 8)))))
        out.append(("victim", (yield info("task", victim))["name"]))

    k.spawn(plain)
    k.run()
    k.spawn(watcher, privileged=True)
    k.run()
    assert out == [("own record", True), ("stats", True), ("name", "idle"), "task denied",
                   "next denied", "faults denied", "trace denied",
                   ("table", ["idle", "watcher"]), ("trace has names", True), ("victim", "idle")]


def test_stop_needs_the_right():
    k = kernel.Kernel(forever=True)
    out = []

    def plain():
        yield from denied(out, "stop", stop())

    def boss():
        yield sleep(10)
        out.append("stopping")
        yield stop()

    k.spawn(plain)
    k.spawn(boss, privileged=True)
    assert k.run() == "stopped"
    assert out == ["stop denied", "stopping"]


def test_an_interrupt_handle_notifies_only_where_its_maker_may():
    k = kernel.Kernel()
    out = []
    other = k.spawn(idle, "other", name="other")

    def listener():
        h = yield handle(0b0110)
        h.notify()                          # as an interrupt handler would: its bits only
        h.notify(0b1100)                    # masked to 0b0100
        out.append(("running", h.running()))
        s, bits = yield recv()
        out.append(("bits", s, bits))
        yield from denied(out, "handle for other", handle(1, other))

    k.spawn(listener, caps=())
    k.run()
    assert out == [("running", True), ("bits", kernel.KERNEL, 0b0110), "handle for other denied"]


def test_claims_are_exclusive_and_end_with_holder_or_claimant():
    k = kernel.Kernel()
    out = []

    def client():
        yield sleep(1000)

    def server():
        c1 = yield spawn(client, name="c1")
        c2 = yield spawn(client, name="c2")
        yield claim("pin:GP2", c1)
        yield claim("pin:GP2", c1)           # again, same holder: fine
        try:
            yield claim("pin:GP2", c2)
        except Busy as e:
            out.append(("busy", str(e)))
        out.append(("released by other", (yield release("pin:GP2", c2))))
        out.append(("released", (yield release("pin:GP2", c1))))
        yield claim("pin:GP2", c2)
        yield claim("i2c:0")                 # for itself
        try:
            yield claim("pin:GP3", 12345)
        except Dead:
            out.append("dead holder")
        out.append(("held", (yield info("claims"))))
        yield kill(c2)
        out.append(("after holder died", (yield info("claims"))))
        yield sleep(1000)                    # holds i2c:0 until the reaper kills it

    def rival():
        yield sleep(20)
        try:
            yield claim("i2c:0")
        except Busy:
            out.append("rival busy")
        yield sleep(20)                      # the server has ended: its claims with it
        yield claim("i2c:0")
        out.append(("rival holds", (yield info("claims", (yield self_())))))

    srv = k.spawn(server, name="server", privileged=True)
    k.spawn(rival, name="rival", privileged=True)

    def reaper():
        yield sleep(30)
        yield kill(srv)

    k.spawn(reaper, privileged=True)
    k.run()
    assert out[0][0] == "busy" and "pin:GP2" in out[0][1]
    assert out[1:] == [("released by other", False), ("released", True), "dead holder",
                       ("held", ["i2c:0", "pin:GP2"]), ("after holder died", ["i2c:0"]),
                       "rival busy", ("rival holds", ["i2c:0"])]
