# log: leveled records in a RAM ring, optionally also appended to flash with rotation.
#
# Records are (seq, t_ms, level, tag, text); seq counts up from 1 for the life of the
# server, so a reader asks for what is new with ("since", last_seq_seen). Writers may
# `call` ("log", ...) to get the seq back, or `send` it and carry on (Logger below does
# that: a full mailbox drops the record instead of blocking the writer).
#
# The ring is preallocated: logging a record stores references to the message's own
# strings, nothing else. Persistence (config `persist`) appends one line per record at
# or above persist["level"] to <dir>/log.0 and, when that file would pass max_bytes,
# shifts log.0 -> log.1 -> ... keeping `files` files in all.
import os
from kernel import port
from servers.lib.base import serve, configure, ServerError, BADREQ
from servers.api.log import PROTOCOL, MAX_BATCH

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


LEVELS = ("debug", "info", "warn", "error")
_ALIASES = {"warning": 2, "err": 3}
MAX_TEXT = const(200)


def level_number(level):
    if type(level) is int and 0 <= level < len(LEVELS):
        return level
    if type(level) is str:
        lv = level.lower()
        for i in range(len(LEVELS)):
            if LEVELS[i] == lv:
                return i
        if lv in _ALIASES:
            return _ALIASES[lv]
    raise ServerError(BADREQ, "level must be one of %s" % ", ".join(LEVELS))


class Log:
    def __init__(self, capacity=64, level="debug", persist=None):
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.cap = capacity
        self.seqs = [0] * capacity
        self.times = [0] * capacity
        self.levels = bytearray(capacity)
        self.tags = [None] * capacity
        self.texts = [None] * capacity
        self.seq = 0                # last seq given out
        self.name = "log"           # the name it serves under (main() sets it)
        self.min_level = level_number(level)
        self.filtered = 0
        self.persisted = 0
        self.write_errors = 0
        self.persist = None
        if persist:
            self.persist = {
                "dir": persist.get("dir", "/log").rstrip("/"),
                "max_bytes": persist.get("max_bytes", 8192),
                "files": max(1, persist.get("files", 3)),
                "level": level_number(persist.get("level", "info")),
            }
            _makedirs(self.persist["dir"])

    # --- the ring ---------------------------------------------------------------------

    def add(self, level, tag, text):
        lv = level_number(level)
        if lv < self.min_level:
            self.filtered += 1
            return 0
        if type(text) is not str:
            text = repr(text)
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT]
        self.seq += 1
        i = self.seq % self.cap
        self.seqs[i] = self.seq
        self.times[i] = port.ticks_ms()
        self.levels[i] = lv
        self.tags[i] = tag
        self.texts[i] = text
        if self.persist is not None and lv >= self.persist["level"]:
            self._append(i)
        return self.seq

    def kept(self):
        return min(self.seq, self.cap)

    def record(self, seq):
        i = seq % self.cap
        return (seq, self.times[i], LEVELS[self.levels[i]], self.tags[i], self.texts[i])

    def records_after(self, seq, n):
        first = max(seq + 1, self.seq - self.kept() + 1)
        last = min(self.seq, first + n - 1)
        return [self.record(s) for s in range(first, last + 1)]

    # --- flash ------------------------------------------------------------------------

    def path(self, k):
        return "%s/log.%d" % (self.persist["dir"], k)

    def _append(self, i):
        p = self.persist
        line = "%d %d %s %s %s\n" % (self.seqs[i], self.times[i], LEVELS[self.levels[i]],
                                     self.tags[i], self.texts[i].replace("\n", " "))
        try:
            if _size(self.path(0)) + len(line) > p["max_bytes"]:
                self._rotate()
            with open(self.path(0), "a") as f:
                f.write(line)
            self.persisted += 1
        except OSError:
            self.write_errors += 1      # a full flash must not take the log down

    def _rotate(self):
        n = self.persist["files"]
        _remove_quietly(self.path(n - 1))
        for k in range(n - 2, -1, -1):
            try:
                os.rename(self.path(k), self.path(k + 1))
            except OSError:
                pass

    def close(self):
        # serve() calls this however the server ends: /srv/log stops showing this ring.
        global last
        if last is self:
            last = None

    # --- ops --------------------------------------------------------------------------

    def op_log(self, sender, level, tag, text):
        return self.add(level, tag, text)

    def op_tail(self, sender, n):
        if n < 0:
            raise ServerError(BADREQ, "n must be >= 0")
        n = min(n, MAX_BATCH, self.kept())
        return self.records_after(self.seq - n, n)

    def op_since(self, sender, seq, n):
        if n < 0:
            raise ServerError(BADREQ, "n must be >= 0")
        if seq > self.seq:
            seq = 0                     # the reader saw an earlier incarnation
        return self.records_after(seq, min(n, MAX_BATCH))

    def op_level(self, sender, level):
        if level is not None:
            self.min_level = level_number(level)
        return LEVELS[self.min_level]

    def op_stats(self, sender):
        return {"seq": self.seq, "kept": self.kept(), "capacity": self.cap,
                "filtered": self.filtered, "overwritten": max(0, self.seq - self.cap),
                "persisted": self.persisted, "write_errors": self.write_errors}

    def op_files(self, sender):
        if self.persist is None:
            return []
        out = []
        for k in range(self.persist["files"]):
            p = self.path(k)
            try:
                out.append((p, os.stat(p)[6]))
            except OSError:
                pass
        return out


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return 0


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _makedirs(path):
    cur = ""
    for part in path.split("/"):
        if not part:
            continue
        cur = cur + "/" + part if (cur or path.startswith("/")) else part
        try:
            os.mkdir(cur)
        except OSError:
            pass


# capacity: records kept in RAM; level: the lowest level kept; persist: None, or
# {"dir", "level", "max_bytes", "files"}: records at or above that level also go to
# rotating files on flash.
CONFIG = {"capacity": 64, "level": "debug", "persist": None}


# The running log server's ring, for /srv/log (firmware/srvfs_files.py), which shows its
# records and adds the lines written to it, in place: from the REPL, or a privileged task.
last = None


def main(name="log", **config):
    global last
    c = configure(CONFIG, config, name)
    lg = last = Log(c["capacity"], c["level"], c["persist"])
    lg.name = name
    yield from serve(PROTOCOL, lg, name)


