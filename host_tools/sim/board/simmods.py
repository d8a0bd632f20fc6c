# Puts the board's modules in place of the unix port's: `machine`, an `os` with
# uname(), a `micropython` whose kbd_intr() drives our Ctrl-C switch, a small
# `rp2`, and a cooked print(). All in sys.modules before boot.py runs.
import sys
import builtins
import io
import os
import micropython
import simcore
import simmachine
import simboard


class _Module:
    def __init__(self, name, base=None):
        self.__name__ = name
        if base is not None:
            for k in dir(base):
                if not k.startswith("__"):
                    setattr(self, k, getattr(base, k))


class _UName:
    def __init__(self, sysname, nodename, release, version, machine):
        self.sysname = sysname
        self.nodename = nodename
        self.release = release
        self.version = version
        self.machine = machine

    def __getitem__(self, i):
        return (self.sysname, self.nodename, self.release, self.version, self.machine)[i]

    def __len__(self):
        return 5

    def __repr__(self):
        return "(sysname='%s', nodename='%s', release='%s', version='%s', machine='%s')" % tuple(self[i] for i in range(5))


def _make_os(cfg):
    m = _Module("os", os)
    u = cfg["uname"]
    un = _UName(u["sysname"], u["nodename"], u["release"], u["version"], u["machine"])
    m.uname = lambda: un
    m.sync = lambda: None
    m.dupterm = lambda *a: None
    return m


def _kbd_intr(c):
    # micropython.kbd_intr(-1) makes Ctrl-C data (mpremote mount relies on it).
    simcore.set_intr(c)


def _make_micropython():
    m = _Module("micropython", micropython)
    m.kbd_intr = _kbd_intr
    m.alloc_emergency_exception_buf = lambda n: None
    return m


def _make_rp2(cfg):
    import lfsdev
    m = _Module("rp2")
    fl = cfg["flash"]

    def Flash():
        return lfsdev.FileBlockDevice(fl["path"], fl["block_size"], fl["block_count"])
    m.Flash = Flash
    m.bootsel_button = lambda: 0
    m.country = lambda *a: "XX"
    return m


_print = builtins.print
_out = sys.stdout


def _cooked_print(*args, sep=" ", end="\n", file=None):
    # On a board, print() to the console sends \r\n for \n.
    if file is not None and file is not _out:
        return _print(*args, sep=sep, end=end, file=file)
    s = io.StringIO()
    _print(*args, sep=sep, end=end, file=s)
    sys.stdout.write(s.getvalue().replace("\n", "\r\n"))


def install(cfg):
    sys.modules["machine"] = simmachine
    sys.modules["os"] = _make_os(cfg)
    sys.modules["micropython"] = _make_micropython()
    sys.modules["rp2"] = _make_rp2(cfg)
    sys.modules["simboard"] = simboard
    builtins.print = _cooked_print
