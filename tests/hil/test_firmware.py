# The firmware image on the board: boot the system image (without the console, which
# would read the serial line the test runs on, and without the watchdog, whose WDT
# cannot be stopped and would reset the board after the test), let the sensor logger
# run for a few periods, then check what it did through the servers. The period is one a
# real Pico keeps up with (on the emulated RP2040 a reading with its flash write, log line
# and display update costs tens of ms), and the checker runs above the application so a
# busy application cannot starve it.
import kernel
import hil
from firmware import main as fw, system, image
from servers.api import supervisor as S, log, display

HIL_TIMEOUT_S = 60
ROOT = "/hiltest_data"


def _image(period_ms):
    img = image.without(system.IMAGE, ("console", "watchdog"),
                        sensor_logger={"period_ms": period_ms}, fs={"root": ROOT, "quota": 65536},
                        log={"persist": {"dir": ROOT + "/log", "level": "info"}})
    for t in img["tasks"]:
        if t["name"] == "sensor_logger":
            t["quota"] = t["quota"] * 1000 // period_ms     # the same bytes per reading
    return img


def test_image_boots_and_sensor_logger_works():
    sb = hil.board_sim()
    if sb is not None:
        sb.i2c_device(0, 0x48).temp_c = 23.5
    resets = []
    period_ms = 300
    k = fw.build(_image(period_ms), reset=resets.append)
    out = {}

    def check():
        try:
            yield kernel.sleep(period_ms * 4)
            st = {s["name"]: s for s in (yield from S.client(timeout=2000).status())}
            out["status"] = st
            out["history"] = [(h["name"], h["reason"], h["fault"] and h["fault"]["text"])
                              for h in (yield from S.client(timeout=2000).history(8))]
            recs = yield from log.client(timeout=2000).tail(20)
            out["log"] = [r[4] for r in recs if r[3] == "sensor"]
            out["frame"] = yield from display.client(timeout=2000).frame()
        except Exception as e:
            out["error"] = repr(e)
        yield kernel.stop()

    k.spawn(check, name="check", prio=6, privileged=True)
    assert fw.run(k) == "stopped"
    assert "error" not in out, out
    st = out["status"]
    for name in ("log", "fs", "gpio", "i2c", "display", "sensor_logger"):
        assert st[name]["state"] == "running", st[name]
    assert st["sensor_logger"]["restarts"] == 0, out["history"]
    readings = [t for t in out["log"] if t.startswith("#")]
    assert len(readings) >= 3, out["log"]
    if sb is not None:
        assert readings[0].endswith("23.50 C"), readings
    with open(ROOT + "/sensor_logger/temps.csv") as f:     # its own directory (fs jail)
        csv = f.read()
    assert csv.startswith("1,") and (sb is None or ",23.50\n" in csv), csv
    assert any(out["frame"]), "nothing drawn on the display"
    assert resets == []
    # the LED is the sensor logger's
    assert "pin:GP25" in k.claims()
