# The fs server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/fs.py) or its hardware.
try:
    from micropython import const
except ImportError:  # CPython
    def const(x):
        return x
from servers.lib.base import Client, BADREQ, BUSY, DENIED, IO, NOENT, QUOTA

MAX_READ = const(1024)          # bytes per read reply: keeps replies small on the board

MAX_GET = const(4096)

_PATH_ERRORS = (DENIED, NOENT, IO)

PROTOCOL = {
    "open": ((("path", str), ("mode", str, "r")),
             "handle (int); mode r, w (replace) or a (append)", (BADREQ, DENIED, NOENT, QUOTA, BUSY, IO)),
    "read": ((("handle", int), ("n", (int, 0, MAX_READ), 256)),
             "bytes (at most n, at most %d), b'' at the end" % MAX_READ, (NOENT, BADREQ, IO)),
    "write": ((("handle", int), ("data", bytes)), "number of bytes written", (NOENT, BADREQ, QUOTA, IO)),
    "close": ((("handle", int),), "True; a write handle puts its file in place", (NOENT, IO)),
    "abort": ((("handle", int),), "True; a write handle is dropped, the file stays as it was", (NOENT,)),
    "put": ((("path", str), ("data", bytes)), "number of bytes written (whole file, atomically)",
            (DENIED, NOENT, QUOTA, IO)),
    "get": ((("path", str), ("n", (int, 0, MAX_GET), MAX_GET)), "the file's first n bytes (at most %d)" % MAX_GET,
            _PATH_ERRORS),
    "list": ((("path", str, ""),), "list of (name, is_dir, size)", _PATH_ERRORS),
    "stat": ((("path", str),), "(size, is_dir)", _PATH_ERRORS),
    "remove": ((("path", str),), "True (a file, or an empty directory)", _PATH_ERRORS),
    "mkdir": ((("path", str),), "True (parents are made too)", _PATH_ERRORS),
    "usage": ((), "(bytes used, quota)", (IO,)),
}


def client(name="fs", timeout=None):
    return Client(PROTOCOL, name, timeout)
