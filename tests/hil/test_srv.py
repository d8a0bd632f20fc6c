# /srv on the board (firmware/srvfs.py): the running system as files, read from a task
# while the kernel runs, and after it stopped (as at the REPL after Ctrl-C); writing a
# line to /srv/log logs it; everything else is read-only.
import os
import kernel
import hil
from firmware import srvfs

HIL_TIMEOUT_S = 60


def _read(path, n=64):
    # In small pieces, as a board with a small heap reads it.
    out = []
    with open(path) as f:
        while True:
            s = f.read(n)
            if not s:
                return "".join(out)
            out.append(s)


def test_srv_files_while_the_kernel_runs_and_after_it_stopped():
    def body():
        srvfs.mount()
        yield kernel.sleep(20)
        names = os.listdir("/srv")
        for f in ("ps", "trace", "faults", "log", "gpio", "supervisor"):
            assert f in names, names
        ps = _read("/srv/ps")
        assert ps.startswith("TID") and "gpio" in ps and "supervisor" in ps, ps
        assert "state" in _read("/srv/gpio/info")
        assert "claim(" in _read("/srv/gpio/protocol")
        assert _read("/srv/faults").strip()
        assert _read("/srv/trace").strip()
        with open("/srv/log", "w") as f:
            f.write("hello from the hil test\n")
        yield kernel.sleep(50)
        assert "hello from the hil test" in _read("/srv/log")
        try:
            open("/srv/ps", "w")
            raise AssertionError("/srv/ps opened for writing")
        except OSError as e:
            assert e.args[0] == 30, e           # EROFS
        return ps

    try:
        ps = hil.run(body, servers=(hil.spec("gpio"), hil.spec("log")), timeout_ms=20000)
        assert "gpio" in ps
        # stopped, as at the REPL after Ctrl-C: still readable
        assert _read("/srv/ps").startswith("TID")
    finally:
        srvfs.umount()
    assert not srvfs.umount()                   # unmounted: nothing is left at /srv
