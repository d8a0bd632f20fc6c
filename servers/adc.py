# adc: analog inputs by channel name ("ADC0", ..., "TEMP" for the chip's own sensor):
# raw 16-bit readings, microvolts, and the internal temperature. The server holds the
# pins of the channels it has read, so gpio cannot drive them.
import kernel
import hal
from servers.lib.base import serve, configure, board_of, ServerError, NOENT, UNAVAIL
from servers.lib import claims
from servers.api.adc import PROTOCOL


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


CONFIG = {"board": None}      # None: the board we run on; or a board name or module


def main(name="adc", **config):
    c = configure(CONFIG, config, name)
    me = yield kernel.self_()
    yield from serve(PROTOCOL, Adc(board_of(c["board"]), me), name)


