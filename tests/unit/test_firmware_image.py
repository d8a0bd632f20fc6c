# The system image and the boards: every board's image is valid for the supervisor, every
# entry can be imported, and board detection reads os.uname() as the ports write it.
import boards
from firmware import system
from servers import supervisor as S


def test_image_is_valid_on_every_board():
    for name in boards.NAMES:
        b = boards.load(name)
        specs = system.tasks_for(b)
        names = [s["name"] for s in specs]
        assert "sensor_logger" in names and "gpio" in names, (name, names)
        assert ("net" in names) == ("net" in b.SERVERS), name
        sup = S.Supervisor(specs, system.IMAGE["supervisor"])
        for c in sup.children:
            assert callable(S.entry_of(c.spec)), c.name
            assert 0 <= c.spec["prio"] <= 7 and c.spec["mailbox"] <= b.LIMITS["mailbox_max"]


def test_boards_define_the_same_names():
    keys = ("NAME", "MCU", "PINS", "GPIOS", "I2C", "SPI", "UART", "ADC", "ADC_VREF_UV",
            "TEMP_SENSOR", "PWM_FREQ", "TIMER_IDS", "IRQ_HARD", "WDT_MAX_MS", "HAS_WIFI",
            "SERVERS", "LIMITS", "DISPLAY", "TEMP_I2C")
    for name in boards.NAMES:
        b = boards.load(name)
        for k in keys:
            assert hasattr(b, k), (name, k)
        assert "LED" in b.PINS
        assert boards.load("pico").WDT_MAX_MS == 8388


def test_detect_from_uname():
    assert boards.from_uname("rp2", "Raspberry Pi Pico with RP2040") == "pico"
    assert boards.from_uname("rp2", "Raspberry Pi Pico W with RP2040") == "pico_w"
    assert boards.from_uname("esp32", "Generic ESP32 module with ESP32") == "esp32"
    assert boards.from_uname("esp32", "Generic ESP32S3 module with ESP32S3") == "esp32s3"
    assert boards.from_uname("linux", "x86_64") is None
    try:
        boards.load("arduino")
        raise AssertionError("loaded an unknown board")
    except ValueError:
        pass


def test_hw_pin_names_and_wdt_cap():
    import hal
    import fake_machine as fm

    fm.setup()
    old = hal.use(fm)
    try:
        pico = boards.load("pico")
        assert hal.canonical(pico, "LED") == "GP25" and hal.pin_id(pico, "GP3") == 3
        assert hal.canonical(boards.load("pico_w"), "LED") == "LED"
        for bad in ("GP40", "X1", 7):
            try:
                hal.pin_id(pico, bad)
                raise AssertionError("accepted pin %r" % (bad,))
            except ValueError:
                pass
        assert hal.wdt(pico, 20000).timeout == 8388
        assert hal.bus_pins(pico, "i2c", 0) == ("GP9", "GP8")
    finally:
        hal.use(old)
