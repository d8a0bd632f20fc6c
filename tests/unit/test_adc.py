# adc server: raw, microvolts, internal temperature, pins held, bad requests.
import kernel
from hwtest import fm, run, error_reply
from servers.api import adc, gpio
from servers.lib.base import ServerError


def test_raw_uv_and_temperature():
    def body():
        a = adc.client()
        fm.adc_values[26] = 32768
        assert (yield from a.read("ADC0")) == 32768
        uv = yield from a.uv("ADC0")
        assert abs(uv - 1650000) < 100, uv
        t = yield from a.temp()
        assert abs(t - 27000) < 1000, t            # the fake sensor sits at 27 C
        assert (yield from a.channels()) == ["ADC0", "ADC1", "ADC2", "TEMP"]
    run(body, ("adc", "gpio"))


def test_adc_pin_is_held():
    def body():
        yield from adc.client().read("ADC1")
        try:
            yield from gpio.client().claim("GP27", "out")
            raise AssertionError("gpio handed out a pin the adc server holds")
        except ServerError as e:
            assert e.code == "busy"
    run(body, ("adc", "gpio"))


def test_bad_requests():
    def body():
        tid = yield kernel.lookup("adc")
        for bad in [("read", "ADC9"), ("read", 0), ("uv",), ("temp", 1)]:
            r = yield kernel.call(tid, bad)
            assert error_reply(r), (bad, r)
        assert type((yield kernel.call(tid, ("read", "ADC2")))) is int
    run(body, ("adc",))
