"""Files on the board: `mpk ls`, `cat` and `rm` (host_tools/agent/files.py runs there)."""
import ast
import os
import sys

import serial

from host_tools import agent
from host_tools.errors import MpkError
from host_tools.link import BoardExecError, open_board


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


def ls(port, path="/", recursive=False):
    with open_board(port) as b:
        try:
            out = b.exec(agent.call("files", "ls(%r, %r)" % (path, bool(recursive))))
        except BoardExecError as e:
            raise _fs_error(e, path) from None
    for line in out.decode().splitlines():
        if line.strip():
            path, is_dir, size = ast.literal_eval(line)
            print("%10s  %s" % ("<dir>" if is_dir else size, path + ("/" if is_dir else "")))
    return 0


def cat(port, path):
    with open_board(port) as b:
        try:
            data = b.read_file(path)
        except serial.SerialException:
            with b.guard("reading " + path):
                raise
        except OSError as e:  # mpremote turns the board's OSError into a host one with its errno
            if e.errno:
                raise _fs_error(_Errno(e.errno), path) from None
            with b.guard("reading " + path):
                raise
        except Exception:
            with b.guard("reading " + path):
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


def rm(port, paths, recursive=False):
    with open_board(port) as b:
        for path in paths:
            if path.rstrip("/") in ("", "."):
                raise MpkError("refusing to remove the whole filesystem")
            try:
                b.exec(agent.call("files", "rm(%r, %r)" % (path, bool(recursive))), timeout=60)
            except BoardExecError as e:
                raise _fs_error(e, path) from None
    return 0
