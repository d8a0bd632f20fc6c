# i2c, spi, uart, adc, pwm and timer servers on the board, against the virtual board's
# simulated devices (TMP102 at 0x48 and 24C32 at 0x50 on I2C bus 0, UART and SPI
# loopback, settable ADC inputs).
import kernel
import hil
from kernel import KERNEL
from servers.api import i2c, spi, uart, adc, pwm, timer
from servers.lib.base import ServerError


def test_i2c_scan_temperature_and_eeprom():
    sb = hil.board_sim()

    def body():
        c = i2c.client()
        found = yield from c.scan()
        assert 0x48 in found and 0x50 in found, found
        if sb is not None:
            sb.i2c_device(0, 0x48).temp_c = 30.5
        raw = yield from c.readmem(0x48, 0, 2)
        t = ((raw[0] << 8 | raw[1]) >> 4) * 0.0625
        assert sb is None or t == 30.5, t
        yield from c.writemem(0x50, 0x0040, b"mpk!", 0, 16)
        yield kernel.sleep(5)                         # EEPROM write cycle
        assert (yield from c.readmem(0x50, 0x0040, 4, 0, 16)) == b"mpk!"
    hil.run(body, servers=("i2c",))


def test_i2c_missing_device_is_an_error_reply_and_bus_keeps_working():
    def body():
        c = i2c.client()
        try:
            yield from c.read(0x3F, 2)
            raise AssertionError("read from an absent device")
        except ServerError as e:
            assert e.code == "io", e
        assert len((yield from c.readmem(0x48, 0, 2))) == 2
        st = yield from c.stats()
        assert st["errors"] == 1 and st["recoveries"] == 1, st
    hil.run(body, servers=("i2c",))


@hil.needs("loopback")
def test_uart_loopback():
    def body():
        u = uart.client()
        bus = yield from u.open(-1, 115200)
        yield from u.write(b"hello over the wire\n", bus)
        got = b""
        for _ in range(50):
            got += yield from u.read(-1, bus)
            if got.endswith(b"\n"):
                break
            yield kernel.sleep(2)
        assert got == b"hello over the wire\n", got
    hil.run(body, servers=("uart",))


@hil.needs("loopback")
def test_spi_transfer_loopback():
    def body():
        s = spi.client()
        assert (yield from s.transfer(b"\x9f\x00\x00")) == b"\x9f\x00\x00"
    hil.run(body, servers=("spi",))


def test_adc_raw_uv_and_core_temperature():
    sb = hil.board_sim()

    def body():
        a = adc.client()
        if sb is not None:
            sb.set_adc("GP26", 16384)
            sb.set_core_temp(31.0)
        raw = yield from a.read("ADC0")
        uv = yield from a.uv("ADC0")
        t = yield from a.temp()
        if sb is not None:
            assert raw == 16388, raw          # 12 bits, scaled as rp2 does: 1024 << 4 | 1024 >> 8
            assert abs(uv - 825000) < 1000, uv
            assert abs(t - 31000) < 600, t
    hil.run(body, servers=("adc",))


def test_pwm_on_led():
    def body():
        p = pwm.client()
        yield from p.start("LED", 1000, 0)
        yield from p.duty("LED", 40000)
        assert (yield from p.status("LED")) == (1000, 40000)
        yield from p.stop("LED")
    hil.run(body, servers=("pwm",))


def test_timer_periodic_and_oneshot_notifications():
    def body():
        t = timer.client()
        i = yield from t.periodic(10, 2)
        n = 0
        while n < 3:
            sender, bits = yield kernel.recv(1000)
            if sender == KERNEL and bits & 2:
                n += 1
        yield from t.cancel(i)
        yield from t.oneshot(10, 8)
        late = 0
        while True:
            sender, bits = yield kernel.recv(1000)
            assert sender == KERNEL, (sender, bits)
            if bits & 8:
                break
            late += 1               # a periodic notice raised just before the cancel
        assert late <= 1, late
        try:                        # cancelled for good: no more periodic notices
            sender, bits = yield kernel.recv(60)
            assert not bits & 2, (sender, bits)
        except kernel.Timeout:
            pass
    hil.run(body, servers=("timer",))
