"""Virtual boards that run the firmware already, for tests whose subject comes after the
first deploy (Ctrl-C, ps and top, live update...). The first `mpk deploy` of the firmware
onto a fresh board is made once per test run and engine (the xdist workers of one run
share it, under a file lock), its flash image kept, and every such test starts on a copy:
on the emulated Pico that first deploy is 20-30 s each time. The first deploy itself is
tested where it is the subject (test_emulated_pico, test_readme_examples, test_mpk_deploy*).
"""
import fcntl
import os
import shutil
import time

import emu_helpers
from mpk_fixtures import run_mpk


def start_board(engine, flash, **kw):
    """A started board of engine "unix" (the unix-port board) or "rp2040" (the emulated Pico)."""
    if engine == "rp2040":
        emu_helpers.require()
        from host_tools.sim.rp2040 import EmulatedPico

        return EmulatedPico(flash=flash, **kw).start()
    from host_tools.sim import VirtualBoard

    return VirtualBoard(flash=flash, **kw).start()


def _shared_dir(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker has basetemp <run>/popen-gwN; <run> is the run's own
    return base.parent if base.name.startswith("popen-gw") else base


def deployed_image(tmp_path_factory, engine):
    """The path of a flash image onto which `mpk deploy` put the firmware (made once)."""
    cache = _shared_dir(tmp_path_factory) / ("deployed-" + engine)
    cache.mkdir(exist_ok=True)
    image = cache / "pico.img"
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not image.exists():
            making = cache / "making.img"
            if making.exists():
                making.unlink()            # a worker that died while making it
            b = start_board(engine, str(making))
            try:
                p = run_mpk("deploy", "--port", b.port, timeout=240)
                assert p.returncode == 0 and "switched, up" in p.stdout, (p.stdout, p.stderr)
            finally:
                b.stop()                   # powered off: the image is whole
            os.replace(making, image)
    return image


def console_up(port, timeout=90):
    """Whether the firmware's console answers a hello on port within timeout seconds (a
    hello leaves no trace of the console's work, as `mpk ps` would)."""
    from host_tools import link

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            b = link.connect(port)
            try:
                r = link.ConsoleClient(b).request("hello", timeout=2)
            finally:
                b.close()
            if r and r.get("ok"):
                return True
        except Exception:               # the port not there yet, or gone for a reset
            pass
        time.sleep(0.5)
    return False


def deployed_board(tmp_path_factory, engine, dest, **kw):
    """A started board of engine on a copy (at dest) of the deployed image, once its
    firmware has booted and its console answers."""
    shutil.copyfile(deployed_image(tmp_path_factory, engine), dest)
    b = start_board(engine, str(dest), **kw)
    if not console_up(b.port):
        b.stop()
        raise AssertionError("the deployed firmware did not come up on " + engine)
    return b
