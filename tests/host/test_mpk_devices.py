"""Board discovery (USB VID:PID, virtual boards) and port selection, without a board."""
import json
from types import SimpleNamespace

import pytest

from host_tools import devices, mpy_arch
from host_tools.link import select_port
from host_tools.errors import MpkError
from mpk_fixtures import assert_one_line_error, run_mpk


def port(dev, vid=None, pid=None, sn=None):
    return SimpleNamespace(device=dev, vid=vid, pid=pid, serial_number=sn, product=None)


PORTS = [
    port("/dev/ttyACM0", 0x2E8A, 0x0005, "E660"),   # Pico running MicroPython
    port("/dev/ttyUSB0", 0x10C4, 0xEA60),            # CP210x on an ESP32 devkit
    port("/dev/ttyUSB1", 0x1A86, 0x7523),            # CH340
    port("/dev/ttyACM1", 0x303A, 0x1001),            # ESP32-S3 native USB
    port("/dev/ttyS0"),                              # a plain UART: not a board
    port("/dev/ttyACM2", 0x2341, 0x0043),            # an Arduino: not ours
]


def test_usb_ports_by_vid_pid():
    found = devices.usb_ports(PORTS)
    assert [d["port"] for d in found] == ["/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyUSB0", "/dev/ttyUSB1"]
    kinds = {d["port"]: d["description"] for d in found}
    assert "Raspberry Pi" in kinds["/dev/ttyACM0"]
    assert "Espressif" in kinds["/dev/ttyACM1"]
    assert "CP210x" in kinds["/dev/ttyUSB0"] and "CH340" in kinds["/dev/ttyUSB1"]
    assert found[0]["usb"] == "2e8a:0005"


def test_bootsel_pico_is_not_a_serial_board():
    assert devices.discover([port("/dev/ttyACM0", 0x2E8A, 0x0003)], virtual=False) == []


def test_decode_mpy():
    assert mpy_arch.decode_mpy(2822) == (6, 3, "x64")
    assert mpy_arch.decode_mpy(6 | 3 << 8 | 4 << 10) == (6, 3, "armv6m")
    assert mpy_arch.decode_mpy(None) == (None, None, None)


def test_virtual_boards_from_registry(tmp_path, monkeypatch):
    reg = tmp_path / "reg"
    reg.mkdir()
    live = tmp_path / "pts-live"
    live.write_text("")
    (reg / "one.json").write_text(json.dumps({"port": str(live), "pid": __import__("os").getpid()}))
    (reg / "dead.json").write_text(json.dumps({"port": str(live) + "x", "pid": 1}))
    (reg / "bad.json").write_text("{")
    monkeypatch.setenv("MPK_SIM_DIR", str(reg))
    import host_tools.devices as d

    monkeypatch.setattr(d, "virtual_ports", d.virtual_ports)
    ports = [v["port"] for v in d.virtual_ports()]
    assert str(live) in ports


def test_select_port_order(monkeypatch):
    monkeypatch.delenv("MPK_PORT", raising=False)
    assert select_port("/dev/x", discover=lambda: []) == "/dev/x"
    monkeypatch.setenv("MPK_PORT", "/dev/env")
    assert select_port(None, discover=lambda: ["/dev/a"]) == "/dev/env"
    monkeypatch.delenv("MPK_PORT")
    assert select_port(None, discover=lambda: ["/dev/a"]) == "/dev/a"
    with pytest.raises(MpkError, match="no board found"):
        select_port(None, discover=lambda: [])
    with pytest.raises(MpkError, match="several boards found .*/dev/a, /dev/b.*--port"):
        select_port(None, discover=lambda: ["/dev/a", "/dev/b"])


def test_cli_devices_json_runs():
    p = run_mpk("devices", "--json", "--no-probe")
    assert p.returncode == 0
    assert isinstance(json.loads(p.stdout), list)


def test_cli_missing_port_one_line(tmp_path):
    p = run_mpk("ls", "--port", str(tmp_path / "nothing"))
    assert_one_line_error(p, "no board at")


def test_cli_not_a_board(tmp_path):
    # A regular file is no serial port: still one line.
    f = tmp_path / "file"
    f.write_text("")
    p = run_mpk("ls", env={"MPK_PORT": str(f)})
    assert_one_line_error(p)
