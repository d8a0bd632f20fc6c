"""`mpk build` checks the system image (firmware/image.py) before anything is compiled
for a board or sent to one: each kind of bad image is one line naming the task."""
import shutil

import pytest

from mpk_fixtures import ROOT, assert_one_line_error, run_mpk

TREES = ("kernel", "servers", "boards", "hal", "firmware")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    for d in TREES:
        shutil.copytree(ROOT / d, root / d, ignore=shutil.ignore_patterns("__pycache__"))
    return root


BAD = [
    ('"config": {"root": "/data", "quota": 131072}', '"config": {"root": "/data", "quota": 131072, "colour": 1}',
     "task fs: unknown config key 'colour'"),
    ('"module": "firmware.apps.sensor_logger"', '"module": "firmware.apps.sensor_loger"',
     "task sensor_logger: module firmware.apps.sensor_loger cannot be imported"),
    ('"talks_to": ("i2c", "gpio", "log"', '"talks_to": ("i2c", "gpoi", "log"',
     "task sensor_logger: talks_to 'gpoi', which is no task"),
    ('"owns": ("spi",)', '"owns": ("spi", "i2c:0")', "task spi: owns i2c:0, which i2c owns already"),
    ('"irqs": ("pin",), "heartbeat_ms"', '"owns": ("pin:GP23",), "irqs": ("pin",), "heartbeat_ms"',
     "task gpio: owns pin:GP23, which the board (reserved) owns already"),
    ('"owns": ("i2c",)', '"owns": ("i2c:7",)', "task i2c: owns i2c:7, a bus pico does not have"),
    ('{"name": "log", "prio": 5, "mailbox": 16', '{"name": "log", "prio": 5, "mailbox": 99',
     "task log: mailbox 99 is over the board's limit of 32"),
]


@pytest.mark.parametrize("old,new,want", BAD, ids=[b[2].split(":")[0] + "-" + str(i) for i, b in enumerate(BAD)])
def test_mpk_build_refuses_a_bad_image(checkout, old, new, want):
    path = checkout / "firmware" / "system.py"
    good = path.read_text()
    assert old in good, old
    path.write_text(good.replace(old, new, 1))
    try:
        p = run_mpk("build", "--board", "pico", "--root", str(checkout))
        line = assert_one_line_error(p, "nothing was sent")
        assert "image: " + want in line, line
    finally:
        path.write_text(good)
    p = run_mpk("build", "--board", "pico", "--root", str(checkout))
    assert p.returncode == 0, p.stderr
