"""The kernel's rules on the chip it is for: the unit tests of the one door (rights), of
calls (call ids, bounded send, inheritance, fault recording) and of IPC run on the
official rp2 firmware on the emulated RP2040, as they run under CPython and the unix port
(tests/unit/mp_runner.py prints PASS/FAIL per test). The sources are copied with mpremote,
unmodified, and compiled on the chip (so @micropython.native emits Thumb code there)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import emu_helpers

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("test_kernel_rights", "test_kernel_calls", "test_kernel_ipc")
SOURCES = {"kernel": None, "servers": ("__init__.py", "log.py"),
           "servers/lib": ("__init__.py", "base.py"), "servers/api": ("__init__.py", "log.py"),
           "tests/unit": ("unitutil.py", "srvutil.py") + tuple(m + ".py" for m in MODULES)}


def _mpremote(port, *args, timeout=600):
    return subprocess.run([sys.executable, "-m", "mpremote", "connect", port, *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def pico(tmp_path_factory):
    emu_helpers.require()
    from host_tools.sim.rp2040 import EmulatedPico

    b = EmulatedPico(flash=str(tmp_path_factory.mktemp("emu") / "flash.img"))
    b.start()
    args = []
    for d, names in SOURCES.items():
        names = names or sorted(n for n in os.listdir(ROOT / d) if n.endswith(".py"))
        dst = "" if d == "tests/unit" else "/" + d
        if dst:
            args += ["mkdir", ":" + dst, "+"]
        args += [a for n in names for a in ("cp", str(ROOT / d / n), ":%s/%s" % (dst, n), "+")]
    r = _mpremote(b.port, *args[:-1])
    assert r.returncode == 0, r.stderr
    yield b
    b.stop()


@pytest.mark.parametrize("module", MODULES)
def test_kernel_rules_hold_on_the_emulated_pico(pico, module, tmp_path):
    runner = (ROOT / "tests" / "unit" / "mp_runner.py").read_text()
    script = tmp_path / "run.py"
    script.write_text("import sys\nsys.path.append('/')\n" + runner.replace(
        "main(sys.argv[1:])", "main([%r])" % module))
    r = _mpremote(pico.port, "run", str(script))
    out = r.stdout + r.stderr
    passed = [l for l in out.splitlines() if l.startswith("PASS ")]
    failed = [l for l in out.splitlines() if l.startswith("FAIL ")]
    assert not failed and r.returncode == 0, out[out.find("FAIL"):][:3000] if failed else out[-2000:]
    expected = (ROOT / "tests" / "unit" / (module + ".py")).read_text().count("\ndef test_")
    assert len(passed) == expected, out
