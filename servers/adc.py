# adc: analog inputs by channel name ("ADC0", ..., "TEMP" for the chip's own sensor):
# raw 16-bit readings, microvolts, and the internal temperature. The server holds the
# pins of the channels it has read, so gpio cannot drive them.
import kernel
import hal
from servers.base import serve, Client, ServerError, NOENT, UNAVAIL, BUSY
from servers import claims

PROTOCOL = {
    "read": ((("channel", str),), "raw reading, 0..65535", (NOENT, BUSY)),
    "uv": ((("channel", str),), "microvolts", (NOENT, BUSY)),
    "temp": ((), "the chip's temperature in milli-degrees Celsius", (UNAVAIL,)),
    "channels": ((), "the channel names this board has", ()),
}


class Adc:
    def __init__(self, board, me):
        self.board = board
        self.me = me
        self.adcs = {}               # channel -> machine.ADC

    def _adc(self, channel):
        # Generator: the channel's ADC, claiming its pin for this server the first time.
        a = self.adcs.get(channel)
        if a is None:
            src = self.board.ADC.get(channel)
            if src is None:
                raise ServerError(NOENT, "no ADC channel %r on %s" % (channel, self.board.NAME))
            if type(src) is int:
                yield from claims.claim("pin:GP%d" % src, self.me)
            a = self.adcs[channel] = hal.adc(self.board, channel)
        return a

    def op_read(self, sender, channel):
        a = self.adcs.get(channel) or (yield from self._adc(channel))
        return a.read_u16()

    def op_uv(self, sender, channel):
        a = self.adcs.get(channel) or (yield from self._adc(channel))
        return hal.adc_uv(self.board, a)

    def op_temp(self, sender):
        ts = self.board.TEMP_SENSOR
        if ts is None or "TEMP" not in self.board.ADC:
            raise ServerError(UNAVAIL, "%s has no internal temperature sensor on its ADC" % self.board.NAME)
        a = self.adcs.get("TEMP") or (yield from self._adc("TEMP"))
        uv = a.read_u16() * self.board.ADC_VREF_UV // 65535
        return 27000 - (uv - ts["v27_uv"]) * 1000 // ts["uv_per_c"]

    def op_channels(self, sender):
        return sorted(self.board.ADC)


def main(name="adc", board=None):
    board = claims.board_of(board)
    me = yield kernel.self_()
    yield from serve(PROTOCOL, Adc(board, me), name)     # its claims end with it


def client(name="adc", timeout=None):
    return Client(PROTOCOL, name, timeout)
