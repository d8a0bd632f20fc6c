"""`mpk run/repl/console/reset/ls/cat/rm`: thin conveniences over the link (host_tools/link.py)."""
import ast
import os
import sys
import time

import serial

from host_tools import agent
from host_tools.link import BoardExecError, add_port_argument, connect, open_board, select_port
from host_tools.errors import MpkError


def register(sub):
    p = sub.add_parser("run", help="run a local Python file on the board, showing its output")
    add_port_argument(p)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--timeout", type=float, default=None,
                   help="stop waiting for output after this many silent seconds (default: wait until it ends)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("repl", help="the board's Python REPL (>>>); a running system is stopped, state kept "
                                    "(Ctrl-] or Ctrl-X leaves)",
                       description="The Python REPL of the board. A running system is stopped first (Ctrl-C: "
                                   "every task is kept, ps() shows them, the watchdog is fed meanwhile); "
                                   "when you leave it stays stopped, or with --resume runs on. The firmware's own "
                                   "shell (ps, log, trace, ... while the system runs) is `mpk console`.")
    add_port_argument(p)
    p.add_argument("--resume", action="store_true", help="resume the stopped system when leaving the REPL")
    p.set_defaults(func=cmd_repl)

    p = sub.add_parser("console", help="the running firmware's shell (mpk> ps, log, trace, ...), beside the "
                                       "running system (Ctrl-] or Ctrl-X leaves)")
    add_port_argument(p)
    p.set_defaults(func=cmd_console)

    p = sub.add_parser("reset", help="soft-reset the board (boot.py and main.py run again); --hard reboots it")
    add_port_argument(p)
    p.add_argument("--hard", action="store_true", help="machine.reset(): a full reboot")
    p.set_defaults(func=cmd_reset)

    p = sub.add_parser("ls", help="list files on the board")
    add_port_argument(p)
    p.add_argument("path", nargs="?", default="/")
    p.add_argument("-r", "--recursive", action="store_true")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("cat", help="print a file from the board")
    add_port_argument(p)
    p.add_argument("path")
    p.set_defaults(func=cmd_cat)

    p = sub.add_parser("rm", help="remove files or (with -r) directories on the board")
    add_port_argument(p)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-r", "--recursive", action="store_true")
    p.set_defaults(func=cmd_rm)


def _fs_error(e, path):
    n = e.errno
    if n == 2:
        return MpkError("%s: no such file or directory on the board" % path)
    if n == 21:
        return MpkError("%s: is a directory (use -r)" % path)
    if n == 20:
        return MpkError("%s: not a directory" % path)
    if n == 39 or "ENOTEMPTY" in e.output or n == 13:
        return MpkError("%s: directory not empty (use -r)" % path)
    return MpkError("%s: %s" % (path, str(e)))


def cmd_run(args):
    try:
        with open(args.file, "rb") as f:
            code = f.read()
    except OSError as e:
        raise MpkError("cannot read %s: %s" % (args.file, e.strerror)) from None
    with open_board(args.port) as b:
        with b.guard("running " + args.file):
            b.start(code)
            timeout = args.timeout
            out = b.read_until(b"\x04", timeout, consumer=_show, silence=True)
            if out is None:
                b.interrupt()
                raise MpkError("%s: no output for %g s; stopped it" % (args.file, timeout))
            err = b.read_until(b"\x04", 10) or b""
        if err:
            sys.stderr.write(err.decode("utf-8", "replace"))
            return 1
    return 0


def cmd_reset(args):
    port = select_port(args.port)
    b = connect(port)
    try:
        if args.hard:
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


def cmd_ls(args):
    with open_board(args.port) as b:
        try:
            out = b.exec(agent.call("files", "ls(%r, %r)" % (args.path, bool(args.recursive))))
        except BoardExecError as e:
            raise _fs_error(e, args.path) from None
    for line in out.decode().splitlines():
        if line.strip():
            path, is_dir, size = ast.literal_eval(line)
            print("%10s  %s" % ("<dir>" if is_dir else size, path + ("/" if is_dir else "")))
    return 0


def cmd_cat(args):
    with open_board(args.port) as b:
        try:
            data = b.read_file(args.path)
        except serial.SerialException:
            with b.guard("reading " + args.path):
                raise
        except OSError as e:  # mpremote turns the board's OSError into a host one with its errno
            if e.errno:
                raise _fs_error(_Errno(e.errno), args.path) from None
            with b.guard("reading " + args.path):
                raise
        except Exception:
            with b.guard("reading " + args.path):
                raise
    out = getattr(sys.stdout, "buffer", None)
    if out:
        out.write(bytes(data))
        out.flush()
    else:
        sys.stdout.write(bytes(data).decode("utf-8", "replace"))
    return 0


class _Errno:
    def __init__(self, n):
        self.errno = n
        self.output = ""

    def __str__(self):
        return os.strerror(self.errno) if self.errno else "error"


def cmd_rm(args):
    with open_board(args.port) as b:
        for path in args.paths:
            if path.rstrip("/") in ("", "."):
                raise MpkError("refusing to remove the whole filesystem")
            try:
                b.exec(agent.call("files", "rm(%r, %r)" % (path, bool(args.recursive))), timeout=60)
            except BoardExecError as e:
                raise _fs_error(e, path) from None
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


def cmd_repl(args):
    port = select_port(args.port)
    b = connect(port)
    try:
        # Ctrl-C: the console server stops the kernel (every task kept), any other program
        # gets KeyboardInterrupt; then the friendly REPL.
        start = b"\r\x03\x03\x02"
        if sys.stdin.isatty():
            _terminal(b, port, start, "Connected to %s: the Python REPL (a running system is stopped, its state "
                      "kept: ps() shows it, resume() runs it on). Ctrl-] or Ctrl-X leaves; it then %s." % (
                          port, "resumes" if args.resume else "stays stopped (mpk repl --resume resumes it)"))
        else:
            _repl_pipe(b, start, b">>> ")
        if args.resume:
            _resume(b)
    finally:
        b.close()
    return 0


def cmd_console(args):
    port = select_port(args.port)
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
