"""Type-check servers/, boards/, hal/ and the host tools' board-side agents (host_tools/agent/)
against the MicroPython stubs of each port.

The board code must use only the `machine` API that exists on RP2040 and on ESP32. mypy
reads the official stub packages (micropython-rp2-stubs, micropython-esp32-stubs), each
installed into its own directory under .venv/mpstubs/ since both provide `machine.pyi`.

What counts: errors a wrong API produces (no such attribute, unexpected argument, no
matching signature, wrong argument type...). Plain inference noise of unannotated code
(containers without annotations, conditional redefinitions) is switched off: it says
nothing about the ports.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
STUBS = os.path.join(ROOT, ".venv", "mpstubs")
PORTS = {"rp2": "micropython-rp2-stubs==1.29.0.post1",
         "esp32": "micropython-esp32-stubs==1.29.0.post1"}
NOISE_CODES = ("var-annotated", "dict-item", "assignment", "index", "no-redef", "misc")
# Builtin containers typed from their first value (e.g. a list of ticks): not about ports.
NOISE_TEXT = re.compile(r'of "(list|dict|set|tuple)"')


def stubs(port):
    d = os.path.join(STUBS, port)
    if not os.path.exists(os.path.join(d, "machine.pyi")):
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", d, PORTS[port]],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            pytest.skip("cannot install %s: %s" % (PORTS[port], r.stderr.strip()[-300:]))
    return d


def mypy(port, paths, cwd=ROOT):
    """Errors (lines) mypy finds in `paths` (relative to cwd) against the port's stubs."""
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.skip("mypy is not installed (pip install -e '.[dev]')")
    env = dict(os.environ, MYPYPATH=stubs(port))
    cmd = [sys.executable, "-m", "mypy", "--python-version", "3.11", "--check-untyped-defs",
           "--follow-imports=silent", "--ignore-missing-imports", "--no-error-summary",
           "--show-error-codes", "--no-color-output",
           "--cache-dir", os.path.join(ROOT, ".venv", "mypy-cache", port)]
    for code in NOISE_CODES:
        cmd += ["--disable-error-code", code]
    r = subprocess.run(cmd + list(paths), capture_output=True, text=True, cwd=cwd, env=env, timeout=240)
    ours = tuple(p.rstrip("/") + "/" if os.path.isdir(os.path.join(cwd, p)) else p for p in paths)
    return [l for l in r.stdout.splitlines()
            if l.startswith(ours) and ": error:" in l and not NOISE_TEXT.search(l)]


@pytest.mark.parametrize("port", sorted(PORTS))
def test_servers_and_boards_use_only_the_ports_machine_api(port):
    errors = mypy(port, ["boards", "hal", "servers", "host_tools/agent"])
    assert errors == [], "\n".join(errors)


BAD = '''
import machine


def rp2_only_wrong():
    a = machine.ADC(machine.Pin(26))
    return a.read_uv()                  # ESP32 has read_uv(); the RP2040 port does not


def esp32_only():
    return machine.TouchPad(machine.Pin(4))   # touch pins exist only on the ESP32


def wrong_everywhere():
    p = machine.Pin(2)
    p.irq(handler=None, edge=3)         # the keyword is trigger=
    return machine.I2C(0, speed=100000)  # the keyword is freq=
'''


def test_the_check_catches_a_wrong_machine_api(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    rp2 = mypy("rp2", ["bad.py"], cwd=str(tmp_path))
    esp32 = mypy("esp32", ["bad.py"], cwd=str(tmp_path))

    def lines(errors):
        return sorted(set(int(e.split(":")[1]) for e in errors))

    # read_uv and TouchPad are refused for rp2, accepted for esp32; the wrong keywords
    # are refused for both.
    assert lines(rp2) == [7, 11, 16, 17], rp2
    assert lines(esp32) == [16, 17], esp32


def test_only_hal_imports_machine():
    found = []
    # (firmware/boot.py, which runs before any of this, may soft-reset by itself)
    for tree in ("servers", "boards", "hal", "kernel", "firmware/apps"):
        for d, _, files in os.walk(os.path.join(ROOT, tree)):
            for f in files:
                if f.endswith(".py"):
                    path = os.path.join(d, f)
                    with open(path) as fh:
                        if re.search(r"^\s*(import machine|from machine )", fh.read(), re.M):
                            found.append(os.path.relpath(path, ROOT))
    assert found == [os.path.join("hal", "__init__.py")], found
