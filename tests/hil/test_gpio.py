# gpio server on the board: wiring loopback (GP2-GP3, GP6-GP7 on the virtual board),
# IRQ edge events, outside drivers, the LED.
import kernel
import hil
from servers.api import gpio
from servers.lib.base import ServerError
from boards import sim as simdef

OUT, IN = simdef.LOOPBACK_PINS[0]


@hil.needs("loopback")
def test_loopback_write_read():
    def body():
        g = gpio.client()
        yield from g.claim(OUT, "out")
        yield from g.claim(IN, "in")
        for v in (1, 0, 1, 0):
            yield from g.write(OUT, v)
            assert (yield from g.read(IN)) == v
    hil.run(body, servers=("gpio",))


@hil.needs("loopback")
def test_irq_edges_become_messages():
    def body():
        g = gpio.client()
        yield from g.claim(OUT, "out")
        yield from g.claim(IN, "in", "down")
        yield from g.subscribe(IN, "both")
        levels = []
        for v in (1, 0, 1):
            yield from g.write(OUT, v)
            _, ev = yield from hil.recv_match(lambda m: m[0] == "edge", 1000)
            assert ev[1] == IN and ev[4] >= 1, ev
            levels.append(ev[2])
        assert levels == [1, 0, 1], levels
    hil.run(body, servers=("gpio",))


def test_outside_driver_and_pull_up():
    sb = hil.board_sim()
    if sb is None:
        return                      # needs the virtual board's outside world

    def body():
        g = gpio.client()
        yield from g.claim("GP14", "in", "up")
        yield from g.subscribe("GP14", "falling")
        assert (yield from g.read("GP14")) == 1
        sb.drive("GP14", 0)         # a button pressed to GND
        _, ev = yield from hil.recv_match(lambda m: m[0] == "edge", 1000)
        assert ev[:3] == ("edge", "GP14", 0), ev
        sb.drive("GP14", None)
        assert (yield from g.read("GP14")) == 1
    hil.run(body, servers=("gpio",))


def test_led_and_exclusive_claims():
    def other(out):
        try:
            yield from gpio.client().claim("LED", "out")
            out.append("claimed")
        except ServerError as e:
            out.append(e.code)

    def body():
        g = gpio.client()
        yield from g.claim("LED", "out")
        assert (yield from g.toggle("LED")) == 1
        assert (yield from g.toggle("LED")) == 0
        out = []
        yield kernel.spawn(other, out)
        assert (yield from hil.wait_for(lambda: out, 1000))
        assert out == ["busy"], out
    hil.run(body, servers=("gpio",))
