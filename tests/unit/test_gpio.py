# gpio server: protocol handling, exclusive claims, bad requests, edge events.
import kernel
from hwtest import fm, run, error_reply
from servers.api import gpio
from servers.lib.base import ServerError


def _err(gen):
    try:
        yield from gen
    except ServerError as e:
        return e.code
    raise AssertionError("no error reply")


def test_claim_write_read_through_wire():
    def body():
        g = gpio.client()
        assert (yield from g.claim("GP2", "out")) == "GP2"
        assert (yield from g.claim("GP3", "in")) == "GP3"
        yield from g.write("GP2", 1)
        assert (yield from g.read("GP3")) == 1
        assert (yield from g.toggle("GP2")) == 0
        assert (yield from g.read("GP3")) == 0
        assert (yield from g.pins()) == [("GP2", (yield kernel.self_()), "out"), ("GP3", (yield kernel.self_()), "in")]
    run(body, ("gpio",))


def test_led_is_one_pin_with_its_gpio_name():
    def body():
        g = gpio.client()
        assert (yield from g.claim("LED", "out")) == "GP25"
        assert (yield from g.toggle("LED")) == 1
        assert (yield from g.read("GP25")) == 1
    run(body, ("gpio",))


def test_claims_are_exclusive_between_clients():
    def other(out):
        g = gpio.client()
        out.append((yield from _err(g.claim("GP2", "in"))))
        out.append((yield from _err(g.write("GP2", 1))))
        yield kernel.exit()

    def body():
        g = gpio.client()
        yield from g.claim("GP2", "out")
        out = []
        yield kernel.spawn(other, out)
        while len(out) < 2:
            yield kernel.sleep(1)
        assert out == ["busy", "denied"], out
    run(body, ("gpio",))


def test_claim_freed_when_client_dies():
    def holder():
        g = gpio.client()
        yield from g.claim("GP2", "out")
        yield kernel.exit()

    def body():
        tid = yield kernel.spawn(holder)
        yield kernel.monitor(tid)
        yield kernel.recv(1000)               # its down message
        yield kernel.sleep(5)
        g = gpio.client()
        assert (yield from g.claim("GP2", "in")) == "GP2"
    run(body, ("gpio",))


def test_bad_requests_get_error_replies_and_server_keeps_serving():
    def body():
        tid = yield kernel.lookup("gpio")
        for bad in ["nope", (), ("nope",), ("claim",), ("claim", 5), ("claim", "GP99"),
                    ("claim", "GP2", "sideways"), ("claim", "GP2", "in", "left"),
                    ("read", "GP2"), ("subscribe", "GP2")]:
            r = yield kernel.call(tid, bad)
            assert error_reply(r), (bad, r)
        r = yield kernel.call(tid, ("claim", "GP99"))
        assert r[1] == "noent", r
        r = yield kernel.call(tid, ("claim", "GP2", "in"))
        assert r == "GP2"
        r = yield kernel.call(tid, ("subscribe", "GP2", "upwards"))
        assert r[1] == "badreq", r
        assert (yield kernel.lookup("gpio")) == tid   # same incarnation: it never crashed
    run(body, ("gpio",))


def test_edge_events_reach_subscriber():
    def body():
        g = gpio.client()
        yield from g.claim("GP2", "out")
        yield from g.claim("GP3", "in")
        yield from g.subscribe("GP3", "rising")
        yield from g.write("GP2", 1)
        sender, ev = yield kernel.recv(1000)
        assert ev[:3] == ("edge", "GP3", 1) and ev[4] == 1, ev
        yield from g.write("GP2", 0)              # falling: not subscribed
        yield from g.write("GP2", 1)
        sender, ev = yield kernel.recv(1000)
        assert ev[:3] == ("edge", "GP3", 1), ev
        yield from g.unsubscribe("GP3")
        yield from g.write("GP2", 0)
        yield from g.write("GP2", 1)
        try:
            yield kernel.recv(30)
            raise AssertionError("event after unsubscribe")
        except kernel.Timeout:
            pass
    run(body, ("gpio",))


def test_bus_pins_cannot_be_claimed_while_the_bus_server_holds_them():
    def body():
        g = gpio.client()
        # the i2c server holds bus 0's pins (GP8, GP9) once it has opened the bus
        from servers.api import i2c
        yield from i2c.client().scan(0)
        code = yield from _err(g.claim("GP8", "out"))
        assert code == "busy", code
    run(body, ("gpio", "i2c"))
