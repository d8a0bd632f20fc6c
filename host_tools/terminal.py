"""The board's terminals and programs: `mpk run`, `repl`, `console` and `reset`, over the
link (host_tools/link.py). With stdin not a terminal (a pipe, CI), the REPL and the
console take its lines one by one and print what comes back."""
import sys
import time

from host_tools.errors import MpkError
from host_tools.link import connect, open_board, select_port


def run_file(port, path, timeout=None):
    """Run a local file on the board in the raw REPL, its output shown as it comes; 1 when
    it raised (the traceback on stderr)."""
    try:
        with open(path, "rb") as f:
            code = f.read()
    except OSError as e:
        raise MpkError("cannot read %s: %s" % (path, e.strerror)) from None
    with open_board(port) as b:
        with b.guard("running " + path):
            b.start(code)
            out = b.read_until(b"\x04", timeout, consumer=_show, silence=True)
            if out is None:
                b.interrupt()
                raise MpkError("%s: no output for %g s; stopped it" % (path, timeout))
            err = b.read_until(b"\x04", 10) or b""
        if err:
            sys.stderr.write(err.decode("utf-8", "replace"))
            return 1
    return 0


def reset(port, hard=False):
    """Soft reset (boot.py and main.py run again), or with hard machine.reset()."""
    port = select_port(port)
    b = connect(port)
    try:
        if hard:
            b.enter_raw()
            b.hard_reset()
            print("reset %s (hard)" % port)
        else:
            with b.guard("soft-resetting"):
                b.write(b"\r\x03\x03\x02")  # stop, then friendly REPL
                time.sleep(0.05)
                b.discard_input()
                b.write(b"\x04")
                if b.read_until(b"soft reboot", 3) is None:
                    raise MpkError("board on %s did not soft-reset (no answer to Ctrl-D)" % port)
            print("reset %s (soft)" % port)
    finally:
        b.close()
    return 0


def _show(data):
    out = getattr(sys.stdout, "buffer", None)
    if out:
        out.write(data)
        out.flush()
    else:
        sys.stdout.write(data.decode("utf-8", "replace"))


def _terminal(b, port, start, greeting):
    """An interactive terminal on the board (mpremote's REPL loop), after sending `start`."""
    print(greeting)
    with b.guard("in the terminal"):
        gone = b.terminal(start)
    if gone:
        raise MpkError("board on %s disconnected" % port)


def _resume(b):
    from host_tools.console_protocol import RESUME_CODE

    with b.guard("resuming the system"):
        b.write(b"\r\x02")
        b.read_until(b">>> ", 2)
        b.write(b"import kernel\rif kernel.running_kernel(): " + RESUME_CODE.encode() + b"\r\r")
        time.sleep(0.2)


def repl(port, resume=False):
    """The board's Python REPL: a running system is stopped first (its state kept)."""
    port = select_port(port)
    b = connect(port)
    try:
        # Ctrl-C: the console server stops the kernel (every task kept), any other program
        # gets KeyboardInterrupt; then the friendly REPL.
        start = b"\r\x03\x03\x02"
        if sys.stdin.isatty():
            _terminal(b, port, start, "Connected to %s: the Python REPL (a running system is stopped, its state "
                      "kept: ps() shows it, resume() runs it on). Ctrl-] or Ctrl-X leaves; it then %s." % (
                          port, "resumes" if resume else "stays stopped (mpk repl --resume resumes it)"))
        else:
            _repl_pipe(b, start, b">>> ")
        if resume:
            _resume(b)
    finally:
        b.close()
    return 0


def console(port):
    """The running firmware's shell (mpk> ...), beside the running system."""
    port = select_port(port)
    b = connect(port)
    try:
        if sys.stdin.isatty():
            _terminal(b, port, b"\r", "Connected to %s: the firmware's console (help lists its commands; Ctrl-C "
                      "there stops the system into the REPL). Ctrl-] or Ctrl-X leaves." % port)
        else:
            _repl_pipe(b, b"\r", b"mpk> ")
    finally:
        b.close()
    return 0


def _repl_pipe(b, start, prompt):
    """stdin is not a terminal: send its lines to the prompt, print what comes back."""
    with b.guard("in the REPL"):
        b.write(start)
        if b.read_until(prompt, 10) is None:
            raise MpkError("no %s prompt from the board on %s (is the firmware running? `mpk console` needs "
                           "it; `mpk repl` does not)" % (prompt.decode().strip(), b.port))
        b.discard_input(quiet=0.3)
        for line in sys.stdin.read().splitlines():
            b.write(line.encode() + b"\r")
            got = bytearray()
            b.read_until(prompt, 10, into=got)
            text = bytes(got).decode("utf-8", "replace").replace("\r\n", "\n")
            # Drop the echo of the line itself.
            if text.startswith(line):
                text = text[len(line):].lstrip("\n")
            if text.endswith(prompt.decode()):
                text = text[:-len(prompt)]
            sys.stdout.write(text)
            sys.stdout.flush()
