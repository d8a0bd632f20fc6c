# i2c server: devices, register access, bus errors as replies with recovery, bad requests.
import kernel
from hwtest import fm, run, error_reply
from servers.api import i2c
from servers.lib.base import ServerError


def test_scan_and_temperature_register():
    def body():
        c = i2c.client()
        assert (yield from c.scan()) == [0x48, 0x50]
        fm.devices[(0, 0x48)].temp_c = 21.5
        raw = yield from c.readmem(0x48, 0, 2)
        assert ((raw[0] << 8 | raw[1]) >> 4) * 0.0625 == 21.5
    run(body, ("i2c",))


def test_eeprom_write_then_read_back():
    def body():
        c = i2c.client()
        yield from c.writemem(0x50, 0x0100, b"hello", 0, 16)
        assert (yield from c.readmem(0x50, 0x0100, 5, 0, 16)) == b"hello"
    run(body, ("i2c",))


def test_nack_is_an_io_error_reply_and_bus_recovers():
    def body():
        c = i2c.client()
        try:
            yield from c.read(0x33, 1)
            raise AssertionError("no error for an absent device")
        except ServerError as e:
            assert e.code == "io" and "bus 0" in e.text, e
        fm.i2c_fail[0] = 1                       # one glitch on the wire
        try:
            yield from c.readmem(0x48, 0, 2)
        except ServerError as e:
            assert e.code == "io"
        assert len((yield from c.readmem(0x48, 0, 2))) == 2   # recovered
        st = yield from c.stats()
        assert st["errors"] == 2 and st["recoveries"] == 2, st
    run(body, ("i2c",))


def test_bad_requests_keep_server_serving():
    def body():
        tid = yield kernel.lookup("i2c")
        for bad in [("read", 0x48), ("read", 0x48, 0), ("read", 0x48, 100000), ("read", 300, 1),
                    ("scan", 7), ("readmem", 0x48, 0, 2, 0, 12), ("write", 0x48, "text"),
                    ("nope",), 42]:
            r = yield kernel.call(tid, bad)
            assert error_reply(r), (bad, r)
        assert (yield kernel.call(tid, ("scan",))) == [0x48, 0x50]
        assert (yield kernel.lookup("i2c")) == tid
    run(body, ("i2c",))
