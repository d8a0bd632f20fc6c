# pwm: PWM outputs on pins, each held by the client that started it.
import kernel
import hal
from servers.lib.base import serve, configure, board_of, ServerError, NOENT, BADREQ, DENIED
from servers.lib import claims
from servers.api.pwm import PROTOCOL


class Pwm:
    def __init__(self, board, me):
        self.board = board
        self.me = me
        self.outs = {}                 # canonical pin -> [machine.PWM, owner]
        self.watch = claims.Watch()

    def _name(self, pin):
        try:
            return hal.canonical(self.board, pin)
        except ValueError as e:
            raise ServerError(NOENT, str(e))

    def _own(self, sender, pin):
        name = self._name(pin)
        o = self.outs.get(name)
        if o is None:
            raise ServerError(NOENT, "no PWM running on %s" % name)
        if o[1] != sender:
            raise ServerError(DENIED, "PWM on %s belongs to task %d" % (name, o[1]))
        return name, o[0]

    @staticmethod
    def _duty(d):
        if not 0 <= d <= 65535:
            raise ServerError(BADREQ, "duty_u16 must be 0..65535")

    def op_start(self, sender, pin, freq, duty_u16):
        name = self._name(pin)
        self._duty(duty_u16)
        yield from claims.claim("pin:" + name, sender)
        old = self.outs.pop(name, None)
        if old is not None:
            old[0].deinit()
        try:
            p = hal.pwm(self.board, name, freq, duty_u16)
        except ValueError:
            yield from claims.release("pin:" + name, sender)
            raise
        self.outs[name] = [p, sender]
        yield from self.watch.add(sender)
        return name

    def op_freq(self, sender, pin, freq):
        lo, hi = self.board.PWM_FREQ
        if not lo <= freq <= hi:
            raise ServerError(BADREQ, "freq must be %d..%d Hz" % (lo, hi))
        self._own(sender, pin)[1].freq(freq)
        return True

    def op_duty(self, sender, pin, duty_u16):
        self._duty(duty_u16)
        self._own(sender, pin)[1].duty_u16(duty_u16)
        return True

    def op_status(self, sender, pin):
        p = self._own(sender, pin)[1]
        return (p.freq(), p.duty_u16())

    def op_stop(self, sender, pin):
        name, _ = self._own(sender, pin)
        self._stop(name)
        yield from claims.release("pin:" + name, sender)
        return True

    def _stop(self, name):
        # The claim itself ends with the client or this server (or op_stop frees it).
        p, owner = self.outs.pop(name)
        p.deinit()

    def on_kernel(self, msg):
        gone = self.watch.down(msg)
        if gone is not None:
            for name in [n for n, o in self.outs.items() if o[1] == gone]:
                self._stop(name)

    def close(self):
        for name in list(self.outs):
            self._stop(name)


CONFIG = {"board": None}      # None: the board we run on; or a board name or module


def main(name="pwm", **config):
    c = configure(CONFIG, config, name)
    me = yield kernel.self_()
    yield from serve(PROTOCOL, Pwm(board_of(c["board"]), me), name)


