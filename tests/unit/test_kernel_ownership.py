# Hardware ownership from the system image (kernel/resources.py): a key owned by a task
# name is claimable by that task only (across restarts, by name); a task spawned with
# owns claims nothing else but free pins; the board's reserved pins go to no task; and a
# driver server asked for a bus it does not own answers "denied". Runs under CPython and
# the MicroPython unix port.
import kernel
from kernel import claim, release, sleep, Denied
from servers.lib.base import ServerError


def run(body, own=()):
    k = kernel.Kernel()
    for keys, name in own:
        k.own(keys, name)
    out = {}

    def wrapper():
        try:
            yield from body(out)
            out["ok"] = True
        finally:
            yield kernel.stop()
    k.spawn(wrapper, name="body", prio=1, privileged=True)
    k.run()
    assert out.get("ok"), out
    return out


def claimer(key, out, tag):
    def task():
        try:
            yield claim(key)
            out[tag] = "held"
        except Denied as e:
            out[tag] = "denied: " + str(e)
        yield sleep(100000)
    return task


def test_only_the_owner_claims_what_the_image_gives_it():
    def body(out):
        yield kernel.spawn(claimer("i2c:0", out, "owner"), name="i2c", owns=("i2c:0", "pin:GP9"))
        yield kernel.spawn(claimer("i2c:0", out, "other"), name="spi", owns=("spi:0",))
        yield kernel.spawn(claimer("pin:GP9", out, "free"), name="gpio", owns=())
        yield kernel.spawn(claimer("i2c:1", out, "unowned"), name="spi2", owns=("spi:1",))
        yield kernel.spawn(claimer("pin:GP2", out, "pool"), name="pwm", owns=())
        yield kernel.spawn(claimer("pin:GP23", out, "reserved"), name="adc")
        yield kernel.spawn(claimer("uart:1", out, "unbound"), name="app")
        yield sleep(20)
    out = run(body, own=[(("pin:GP23",), "board")])
    assert out["owner"] == "held" and out["pool"] == "held" and out["unbound"] == "held", out
    assert out["other"] == "denied: i2c:0 is owned by i2c", out
    assert out["free"] == "denied: pin:GP9 is owned by i2c", out
    assert out["unowned"] == "denied: i2c:1 is not among what spi2 owns", out
    assert out["reserved"] == "denied: pin:GP23 is owned by board", out


def test_ownership_outlives_a_restart_and_cannot_be_taken_twice():
    def body(out):
        tid = yield kernel.spawn(claimer("wdt", out, "first"), name="watchdog", owns=("wdt",))
        yield sleep(5)
        yield kernel.kill(tid)
        yield kernel.spawn(claimer("wdt", out, "again"), name="watchdog", owns=("wdt",))
        yield kernel.spawn(claimer("wdt", out, "thief"), name="thief")
        try:
            yield kernel.spawn(claimer("wdt", out, "x"), name="rogue", owns=("wdt",))
            out["rogue"] = "spawned"
        except ValueError as e:
            out["rogue"] = str(e)
        yield sleep(20)
    out = run(body)
    assert out["first"] == "held" and out["again"] == "held", out
    assert out["thief"] == "denied: wdt is owned by watchdog", out
    assert out["rogue"] == "wdt is owned by watchdog", out


def test_an_unprivileged_task_cannot_hand_out_hardware():
    def body(out):
        def child():
            try:
                yield kernel.spawn(claimer("i2c:0", out, "x"), name="grab", owns=("i2c:0",))
                out["spawn"] = "allowed"
            except Denied as e:
                out["spawn"] = str(e)
        yield kernel.spawn(child, name="plain")
        yield sleep(20)
    out = run(body)
    assert out["spawn"] == "spawn an owner of hardware from an unprivileged task", out


def test_a_driver_asked_for_a_bus_it_does_not_own_answers_denied():
    import hwtest
    from servers.api import i2c as i2c_api

    def body():
        c = i2c_api.client(timeout=1000)
        assert 0x48 in (yield from c.scan(0))
        try:
            yield from c.scan(1)
            raise AssertionError("i2c opened a bus it does not own")
        except ServerError as e:
            assert e.code == "denied" and "i2c:1 is not among what i2c owns" in e.text, e
    hwtest.run(body, servers=({"name": "i2c", "owns": ("i2c:0", "pin:GP9", "pin:GP8")},))
