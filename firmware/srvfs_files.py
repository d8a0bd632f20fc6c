# The files of /srv (firmware/srvfs.py mounts them; it loads this module the first time
# /srv is used, so a system that never looks costs only the stand-in):
#
#   /srv/ps               the task table, as ps() prints it at the REPL
#   /srv/trace            the kernel's event trace, as trace() prints it (every kept event)
#   /srv/faults           the fault log, as faults() prints it
#   /srv/log              the log server's ring (its kept records, oldest first, as the
#                         console's `log` shows them); a line written to it is logged
#                         (level info, tag "srv")
#   /srv/<task>/info      one task: state, waits, mailbox, CPU, heap, restarts, policy ...
#   /srv/<task>/protocol  a server's protocol, one op a line (servers/api/<name>.py)
#
# A task whose name is one of the files above (the log server is "log") has its
# directory as <name>.task: /srv/log.task/protocol. Nothing else can be written: creating,
# removing or renaming anything is EROFS.
#
# The contents are made when read, a line (or a record) at a time from a generator: a
# file never holds more than the line being read, so reading the task table, the trace
# or the log costs a few hundred bytes whatever their size. Only read() of everything at
# once joins it all into one string (what read() means; on a Pico whose heap is in small
# pieces, read a line at a time: `for line in open("/srv/trace"): print(line, end="")`).
#
# Readers: the REPL after Ctrl-C (like firmware/repl.py it reads the kernel in place),
# and tasks while the kernel runs. A task reads it through the same rights as the `info`
# system call (kernel/rights.py): a privileged task reads everything; any other task only
# its own info, protocols, and /srv/log if it may talk to the log server; the rest is
# EACCES. The trace ring and the fault log are read in place, a record at a time
# (Kernel.iter_trace, Kernel.iter_faults); tests/unit/test_srvfs.py checks the text
# against the REPL's.
import sys
import kernel
from kernel.tcb import const
from servers.lib.inspect_format import ps_head, ps_line, ps_record, trace_line, trace_record

try:
    from io import IOBase as _Base     # lets C code (print(file=), json.load) use a file
except ImportError:
    _Base = object

FILES = ("faults", "log", "ps", "trace")       # the root's files; a task so named: <name>.task
_TASK = ".task"
_DIR = const(0x4000)
_FILE = const(0x8000)
_LINE_MAX = const(200)             # characters of a written line kept in one record (log)
# errno values (the same on every MicroPython port and on Linux)
_ENOENT = const(2)
_EBADF = const(9)
_EACCES = const(13)
_ENODEV = const(19)
_ENOTDIR = const(20)
_EISDIR = const(21)
_EROFS = const(30)


def _err(code):
    if sys.implementation.name == "micropython":
        return OSError(code)
    import os

    return OSError(code, os.strerror(code))


class Files:
    # The filesystem protocol (MicroPython's vfs calls these, through srvfs.SrvFS).
    def __init__(self, k=None):
        self._k = k                # None: the kernel that runs, or ran last
        self._cwd = "/"

    def ilistdir(self, path):
        k = self._kern()
        where = self._where(k, path)
        if where[0] == "file":
            raise _err(_ENOTDIR)
        if where[0] == "root":
            _guard(k, "list", None)
            return _root_entries(k)
        _guard(k, "dir", where[2])
        return _dir_entries(k, where[2])

    def stat(self, path):
        where = self._where(self._kern(), path)
        return (_FILE if where[0] == "file" else _DIR, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    def statvfs(self, path):
        return (512, 512, 0, 0, 0, 0, 0, 0, 1, 255)       # f_flag 1: ST_RDONLY

    def open(self, path, mode="r"):
        k = self._kern()
        where = self._where(k, path)
        if where[0] != "file":
            raise _err(_EISDIR)
        what, tid, proto = where[1], where[2], where[3]
        binary = "b" in mode
        writing = "w" in mode or "a" in mode or "+" in mode or "x" in mode
        if writing and what != "log":
            raise _err(_EROFS)
        _guard(k, what, tid)
        if what == "log":
            lg = _ring(k)
            if lg is None:
                raise _err(_ENOENT)
            if writing:
                return _File(None, binary, lg)
            return _File(_log_lines(lg), binary)
        if what == "ps":
            return _File(_ps_lines(k), binary)
        if what == "trace":
            return _File(_trace_lines(k), binary)
        if what == "faults":
            return _File(_fault_lines(k), binary)
        if what == "protocol":
            return _File(_protocol_lines(proto), binary)
        try:
            rec = k.task_info(tid)                       # "info": the task as it is now
        except kernel.Dead:
            raise _err(_ENOENT)
        return _File(_info_lines(rec, _child(rec["name"], tid)), binary)

    def chdir(self, path):
        k = self._kern()
        where = self._where(k, path)
        if where[0] == "file":
            raise _err(_ENOTDIR)
        self._cwd = "/" if where[0] == "root" else "/" + where[1]

    def getcwd(self):
        return self._cwd

    def mkdir(self, path):
        raise _err(_EROFS)

    def rmdir(self, path):
        raise _err(_EROFS)

    def remove(self, path):
        raise _err(_EROFS)

    def rename(self, old, new):
        raise _err(_EROFS)

    # --- paths ---------------------------------------------------------------------------

    def _kern(self):
        k = self._k or kernel.running_kernel()
        if k is None:
            raise _err(_ENODEV)
        return k

    def _where(self, k, path):
        # What path names: ("root",), ("dir", dirname, tid), or ("file", what, tid,
        # protocol) where what is one of FILES, "info" or "protocol". ENOENT otherwise.
        if type(path) is not str:
            path = str(path, "utf-8")
        if not path.startswith("/"):
            path = self._cwd.rstrip("/") + "/" + path
        parts = []
        for p in path.split("/"):
            if p == "..":
                if parts:
                    parts.pop()
            elif p and p != ".":
                parts.append(p)
        if not parts:
            return ("root",)
        if len(parts) == 1 and parts[0] in FILES:
            if parts[0] == "log" and _ring(k) is None:
                raise _err(_ENOENT)
            return ("file", parts[0], None, None)
        d = parts[0]
        if len(parts) > 2 or d in FILES:
            raise _err(_ENOENT)
        tid = _named(k, d[:-len(_TASK)] if d.endswith(_TASK) and d[:-len(_TASK)] in FILES else d)
        if tid is None:
            raise _err(_ENOENT)
        if len(parts) == 1:
            return ("dir", d, tid)
        f = parts[1]
        proto = _protocol(k.name_of(tid)) if f == "protocol" else None
        if f == "info" or proto is not None:
            return ("file", f, tid, proto)
        raise _err(_ENOENT)


# --- the files' contents, a line at a time -----------------------------------------------

def _ps_lines(k):
    # The task table (firmware/repl.py ps()), through the kernel's cursor: a record at a
    # time, right even when tasks start and end between two reads.
    yield ps_head() + "\n"
    cur = 0
    while True:
        r = k.next_task(cur)
        if r is None:
            return
        cur, info = r
        c = _child(info["name"], info["tid"])
        yield ps_line(ps_record(info, c.restarts if c is not None else None)) + "\n"


def _trace_lines(k):
    # The trace ring an event at a time (Kernel.iter_trace), as trace() prints it.
    shown = False
    for e in k.iter_trace():
        shown = True
        yield trace_line(trace_record(e)) + "\n"
    if not shown:
        yield "(no events)\n"


def _fault_lines(k):
    # The fault log (at most 16 records, kept by the kernel): as faults() prints it.
    shown = False
    for f in k.iter_faults():
        shown = True
        yield "%s (tid %d): %s %s\n" % (f["name"], f["tid"], f["type"], f["text"])
        yield f["traceback"].rstrip()
        yield "\n"
    if not shown:
        yield "(no faults)\n"


def _log_lines(lg):
    # The ring's kept records, oldest first, as the console's `log` shows them.
    first = lg.seq - lg.kept() + 1
    for s in range(first, lg.seq + 1):
        if s > lg.seq - lg.cap:                  # not overwritten since reading began
            yield "%5d %9d %-5s %s: %s\n" % lg.record(s)
    if first > lg.seq:
        yield "(no log records)\n"


def _protocol_lines(proto):
    from servers.lib.base import describe

    for op in sorted(proto):
        yield describe({op: proto[op]}) + "\n"           # its line, an op at a time


_INFO = ("tid", "name", "state", "waits", "prio", "base_prio", "mailbox", "cpu_ms", "max_slice_us",
         "slices", "mem", "msgs_in", "msgs_out", "notes", "faults", "privileged", "talks_to", "names")
_CHILD = ("restarts", "supervised", "policy", "group", "held", "critical", "quota", "heartbeat_ms")


def _info_lines(r, c):
    # One task's record (Kernel.task_info), then what its supervisor knows of it.
    for key in _INFO:
        if key == "mailbox":
            v = "%d/%d" % (r["mbox"], r["mbox_cap"])
        elif key == "cpu_ms":
            v = r["cpu_us"] // 1000
        elif key == "mem":
            v = r["heap"]
        elif key == "talks_to":
            v = "any" if r["caps"] is None else ", ".join(str(x) for x in r["caps"]) or "none"
        elif key == "names":
            v = ", ".join(r["names"]) or "-"
        elif key == "notes":
            v = hex(r["notes"])
        else:
            v = r[key]
        yield "%-13s %s\n" % (key, "-" if v == "" else v)
    if c is None:
        yield "%-13s %s\n" % ("restarts", "- (not supervised)")
        return
    from servers.supervisor import opt

    for key in _CHILD:
        if key == "restarts":
            v = c.restarts
        elif key == "supervised":
            v = c.state
        elif key == "held":
            v = c.held
        else:
            v = opt(c.spec, "restart" if key == "policy" else key)
        yield "%-13s %s\n" % (key, "-" if v is None else v)


def _root_entries(k):
    for f in FILES:
        if f != "log" or _ring(k) is not None:
            yield (f, _FILE, 0, 0)
    seen = []
    for tid in k.tasks():
        name = k.name_of(tid)
        if not name or "/" in name or name in seen:
            continue                   # one directory per name: the first task of it
        seen.append(name)
        yield (name + _TASK if name in FILES else name, _DIR, 0, 0)


def _dir_entries(k, tid):
    yield ("info", _FILE, 0, 0)
    if _protocol(k.name_of(tid)) is not None:
        yield ("protocol", _FILE, 0, 0)


# --- what the files show, found --------------------------------------------------------

def _named(k, name):
    # The tid of the first live task called name, or None.
    for tid in k.tasks():
        if k.name_of(tid) == name:
            return tid
    return None


def _ring(k):
    # The log server's ring (servers/log.py), if that server runs in k.
    m = sys.modules.get("servers.log")
    lg = m.last if m is not None else None
    if lg is None or _named(k, lg.name) is None:
        return None
    return lg


def _child(name, tid):
    # The supervisor's record of task tid (servers.supervisor.last), or None.
    m = sys.modules.get("servers.supervisor")
    sup = m.last if m is not None else None
    c = sup.by_name.get(name) if sup is not None else None
    return c if c is not None and c.tid == tid else None


def _protocol(name):
    # The PROTOCOL of the module task name runs (already loaded: nothing is imported).
    if not name:
        return None
    m = sys.modules.get("servers.supervisor")
    sup = m.last if m is not None else None
    c = sup.by_name.get(name) if sup is not None else None
    mod = (c.spec.get("module") if c is not None else None) or "servers." + name
    m = sys.modules.get(mod) or sys.modules.get("servers.api." + name)
    p = getattr(m, "PROTOCOL", None) if m is not None else None
    return p if type(p) is dict else None


def _guard(k, what, tid):
    # Inside a task: the rights of the `info` system call (kernel/rights.py).
    cur = k.current()
    if cur is None:
        return                     # the REPL, the firmware between runs, tests
    me = k.task_info(cur)
    if me["privileged"] or what == "protocol" or (what in ("info", "dir") and tid == cur):
        return
    if what == "log":
        lg = _ring(k)
        caps = me["caps"]
        if caps is None or lg is None or lg.name in caps or _named(k, lg.name) in caps:
            return
    raise _err(_EACCES)


# --- a file ------------------------------------------------------------------------------

class _File(_Base):
    # Reads from a generator of text pieces (lines, mostly), holding only the piece being
    # read; a writable one (/srv/log) adds each line written to the log ring `log`.
    def __init__(self, pieces, binary, log=None):
        self._g = pieces
        self._b = binary
        self._s = b"" if binary else ""    # the piece being read ...
        self._p = 0                        # ... and how much of it has been
        self._w = log
        self._part = ""                    # written, not yet a whole line

    def _more(self):
        # The current piece is used up: take the next one. False at the end.
        g = self._g
        while g is not None:
            try:
                s = next(g)
            except StopIteration:            # (next(g, None) is not on every port)
                self._g = None
                break
            if s:
                self._s = s.encode() if self._b else s
                self._p = 0
                return True
        return False

    def read(self, n=-1):
        if n is None or n < 0:
            parts = []
            while self._p < len(self._s) or self._more():
                parts.append(self._s[self._p:] if self._p else self._s)
                self._p = len(self._s)
            return (b"" if self._b else "").join(parts)
        out = b"" if self._b else ""
        while n > 0 and (self._p < len(self._s) or self._more()):
            p = self._p
            c = self._s[p:p + n]
            self._p = p + len(c)
            n -= len(c)
            out = out + c if out else c
        return out

    def readinto(self, buf):
        n = 0
        room = len(buf)
        while n < room and (self._p < len(self._s) or self._more()):
            p = self._p
            c = self._s[p:p + room - n]
            b = c
            if not self._b:
                b = c.encode()
                while len(b) > room - n:         # multi-byte characters: fewer of them
                    c = c[:-1]
                    b = c.encode()
                if not c:
                    break
            buf[n:n + len(b)] = b
            n += len(b)
            self._p = p + len(c)
        return n

    def readline(self, limit=-1):
        out = b"" if self._b else ""
        nl = b"\n" if self._b else "\n"
        while (limit < 0 or len(out) < limit) and (self._p < len(self._s) or self._more()):
            s, p = self._s, self._p
            i = s.find(nl, p)
            e = len(s) if i < 0 else i + 1
            if limit >= 0 and e - p > limit - len(out):
                e = p + limit - len(out)
            c = s[p:e]
            self._p = e
            out = out + c if out else c
            if i >= 0 and e == i + 1:
                break
        return out

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def write(self, data):
        if self._w is None:
            raise _err(_EBADF)
        if type(data) is not str:
            data = str(bytes(data), "utf-8")
        text = self._part + data
        while True:
            i = text.find("\n")
            if i < 0:
                break
            self._line(text[:i])
            text = text[i + 1:]
        if len(text) >= _LINE_MAX:
            self._line(text)
            text = ""
        self._part = text
        return len(data)

    def _line(self, line):
        line = line.rstrip("\r")
        if line:
            self._w.add("info", "srv", line)

    def flush(self):
        pass

    def close(self):
        if self._w is not None and self._part:
            self._line(self._part)
        self._part = ""
        self._w = None
        g = self._g
        self._g = None
        if g is not None:
            g.close()

    def ioctl(self, req, arg):
        if req == 4:                   # MP_STREAM_CLOSE
            self.close()
        return 0 if req in (1, 4) else -1      # flush, close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
