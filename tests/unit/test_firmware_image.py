# The system image and the boards: the image is good on every board, each kind of bad
# image is refused with its own one line naming the task (firmware/image.py), and board
# detection reads os.uname() as the ports write it.
import boards
from firmware import system, image
from servers import supervisor as S


def test_image_is_valid_on_every_board():
    for name in boards.NAMES:
        b = boards.load(name)
        specs = image.tasks_for(b, system.IMAGE)
        names = [s["name"] for s in specs]
        assert names[0] == "supervisor" and "sensor_logger" in names and "gpio" in names, (name, names)
        assert ("net" in names) == b.HAS_WIFI, name
        sup = S.Supervisor(specs[1:], specs[0]["config"])
        for c in sup.children:
            assert callable(S.entry_of(c.spec)), c.name
            assert 0 <= S.opt(c.spec, "prio") <= 7 and c.spec["mailbox"] <= b.LIMITS["mailbox_max"]


def _bad(change, board="pico"):
    # The check's one line for the shipped image with change(tasks) applied.
    img = dict(system.IMAGE)
    img["tasks"] = [dict(t) for t in system.IMAGE["tasks"]]
    change(img["tasks"])
    why = image.check(img, boards.load(board))
    assert why is not None and "\n" not in why, why
    return why


def _set(name, **kv):
    def change(tasks):
        for t in tasks:
            if t["name"] == name:
                t.update(kv)
    return change


def test_each_kind_of_bad_image_is_refused_with_its_own_line():
    cases = [
        (_set("fs", module="servers.fss"), "task fs: module servers.fss cannot be imported"),
        (_set("fs", entry="start"), "task fs: servers.fs has no start()"),
        (_set("log", config={"capacity": 8, "colour": "red"}), "task log: unknown config key 'colour'"),
        (_set("gpio", colour="red"), "task gpio: unknown key 'colour'"),
        (_set("sensor_logger", talks_to=("i2c", "gpoi")), "task sensor_logger: talks_to 'gpoi', which is no task"),
        (_set("spi", owns=("spi:0", "i2c:0")), "task spi: owns i2c:0, which i2c owns already"),
        (_set("uart", owns=("uart:0", "pin:GP9")), "task uart: owns pin:GP9, which i2c owns already"),
        (_set("gpio", owns=("pin:GP23",)), "task gpio: owns pin:GP23, which the board (reserved) owns already"),
        (_set("i2c", owns=("i2c:5",)), "task i2c: owns i2c:5, a bus pico does not have"),
        (_set("gpio", owns=("pin:GP40",)), "task gpio: owns 'GP40', a pin pico does not have"),
        (_set("gpio", owns=("wlan",)), "task gpio: owns wlan, and pico has no radio"),
        (_set("timer", irqs=("pin",)), "task timer: irq pin is routed to gpio already"),
        (_set("log", mailbox=64), "task log: mailbox 64 is over the board's limit of 32"),
        (_set("log", prio=9), "task log: prio 9 is not 0..7"),
        (_set("log", restart="sometimes"), "task log: restart must be one of"),
        (_set("log", needs="lasers"), "task log: needs 'lasers', which is not a feature"),
        (_set("supervisor", config={"tasks": ()}), "task supervisor: unknown config key 'tasks'"),
        (lambda tasks: tasks.append(dict(tasks[1])), "task log: named twice"),
        (lambda tasks: tasks.pop(0), "the first entry must be the supervisor"),
    ]
    for change, want in cases:
        why = _bad(change)
        assert why.startswith("image: ") and want in why, (want, why)
    # the same image is good where the board has the hardware
    assert image.check(system.IMAGE, boards.load("pico_w")) is None
    img = dict(system.IMAGE, colour=1)
    assert "unknown key 'colour'" in image.check(img, boards.load("pico"))


def test_owns_expands_buses_to_their_pins_and_first_bus():
    tasks = {t["name"]: t for t in image.tasks_for(boards.load("pico"), system.IMAGE)}
    assert set(tasks["i2c"]["owns"]) == {"i2c:0", "pin:GP9", "pin:GP8"}
    assert set(tasks["uart"]["owns"]) == {"uart:0", "pin:GP0", "pin:GP1"}
    assert tasks["gpio"]["owns"] == () and tasks["gpio"]["irqs"] == ("pin",)
    assert "restart" not in tasks["gpio"] and S.opt(tasks["gpio"], "restart") == "permanent"
    esp = {t["name"]: t for t in image.tasks_for(boards.load("esp32"), system.IMAGE)}
    assert "spi:1" in esp["spi"]["owns"] and "uart:2" in esp["uart"]["owns"]
    assert image.reserved(boards.load("pico")) == ["pin:GP23", "pin:GP24", "pin:GP29"]


def test_without_drops_tasks_and_their_rights():
    img = image.without(system.IMAGE, ("watchdog",), fs={"root": "/t"})
    assert "watchdog" not in [t["name"] for t in img["tasks"]]
    assert "watchdog" not in image.entry(img, "sensor_logger")["talks_to"]
    assert image.entry(img, "fs")["config"] == {"root": "/t", "quota": 131072}
    assert image.entry(system.IMAGE, "fs")["config"]["root"] == "/data"     # a copy
    assert image.check(img, boards.load("sim")) is None


def test_boards_define_the_same_names():
    keys = ("NAME", "MCU", "PINS", "GPIOS", "I2C", "SPI", "UART", "ADC", "ADC_VREF_UV",
            "TEMP_SENSOR", "PWM_FREQ", "TIMER_IDS", "IRQ_HARD", "WDT_MAX_MS", "HAS_WIFI",
            "LIMITS", "DISPLAY", "TEMP_I2C", "RESERVED")
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
