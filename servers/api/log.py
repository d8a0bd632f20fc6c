# The log server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/log.py) or its hardware.
try:
    from micropython import const
except ImportError:  # CPython
    def const(x):
        return x
import kernel
from servers.lib.base import Client, BADREQ, IO

MAX_BATCH = const(32)           # records per tail/since reply

PROTOCOL = {
    "log": ((("level", None), ("tag", str), ("text", None)),
            "the record's seq (0: below the current level, not kept)", (BADREQ,)),
    "tail": ((("n", int, 10),), "list of the last n records (seq, t_ms, level, tag, text), oldest first",
             (BADREQ,)),
    "since": ((("seq", int), ("n", int, MAX_BATCH)),
              "list of records with a larger seq, oldest first, at most n (all kept ones if seq "
              "is past the last, i.e. the server restarted)", (BADREQ,)),
    "level": ((("level", None, None),), "the minimum level kept (set it when given)", (BADREQ,)),
    "stats": ((), "dict: seq, kept, capacity, filtered, overwritten, persisted, write_errors", ()),
    "files": ((), "list of (path, size) of the persisted files, newest first", (IO,)),
}


def client(name="log", timeout=None):
    return Client(PROTOCOL, name, timeout)


class Logger:
    # Fire-and-forget logging for any task: `log = Logger("sensor")`, then
    # `yield from log.info("21.5 C")`. Never blocks on the log server: a full mailbox
    # or a log server being restarted drops the record (counted in .dropped).
    def __init__(self, tag, name="log"):
        self.tag = tag
        self.name = name
        self.tid = None
        self.dropped = 0

    def log(self, level, text):
        if self.tid is None:
            try:
                self.tid = yield kernel.lookup(self.name, 0)
            except kernel.Timeout:
                self.dropped += 1
                return False
        try:
            yield kernel.send(self.tid, ("log", level, self.tag, text))
            return True
        except kernel.Dead:
            self.tid = None
        except kernel.IPCError:         # Full, Denied
            pass
        self.dropped += 1
        return False

    def debug(self, text):
        return self.log("debug", text)

    def info(self, text):
        return self.log("info", text)

    def warn(self, text):
        return self.log("warn", text)

    def error(self, text):
        return self.log("error", text)
