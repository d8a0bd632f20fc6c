# fs: file access through messages, each client confined to its own directory with a
# byte quota.
#
# Who gets which directory: a client is known by the name it was spawned under (its
# tid changes at each restart, the name does not; servers/lib/base.serve looks it up). Its
# directory is <root>/<name> (root "/data" by default), its quota the server's default
# quota, unless the `clients` config maps that name to {"dir": ..., "quota": ...}.
# Paths are relative to that directory; an absolute path is accepted only if it lies
# inside it; ".." is refused. Names starting with ".~" are reserved for the server.
#
# A write is never half-applied: a file opened for writing ("w", or "a" which starts
# from a copy) is written to a temporary ".~<n>" file beside it and renamed over the
# real name on close. A client that dies with a file open (the server monitors every
# client holding a handle) loses that write; its file stays as it was. Temporary files
# left by a crash or a power cut are removed the first time their owner shows up.
import os
from servers.lib.base import serve, configure, ServerError, BADREQ, NOENT, QUOTA, DENIED, BUSY
from servers.api.fs import PROTOCOL, MAX_GET, MAX_READ
from servers.lib import claims

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


TMP_PREFIX = ".~"
MAX_HANDLES_PER_CLIENT = const(4)
MAX_HANDLES = const(16)
_ENOENT = const(2)
_EEXIST = const(17)
_S_IFDIR = const(0x4000)


# A handle: [owner tid, client name, writing?, file, target path, temp path]
_OWNER = const(0)
_CLIENT = const(1)
_WRITING = const(2)
_FILE = const(3)
_TARGET = const(4)
_TEMP = const(5)


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _is_dir(path):
    try:
        return os.stat(path)[0] & _S_IFDIR != 0
    except OSError:
        return False


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return 0


def makedirs(path):
    # os.makedirs does not exist on MicroPython.
    cur = ""
    for part in path.split("/"):
        if not part:
            cur = "/" if not cur else cur
            continue
        cur = cur + part if cur.endswith("/") else (cur + "/" + part if cur else part)
        if not _is_dir(cur):
            os.mkdir(cur)


def _nofile(e, what):
    if e.args and e.args[0] == _ENOENT:
        return ServerError(NOENT, what)
    return e


class Files:
    def __init__(self, root="/data", quota=65536, clients=None):
        self.root = root.rstrip("/") or "/"
        self.quota = quota
        self.clients = clients or {}
        self.handles = {}           # handle -> handle record
        self.next_handle = 1
        self.used = {}              # client name -> bytes on flash (counted once, then kept)
        self.watch = claims.Watch()  # clients whose death we will hear of (open files)
        self.client_names = {}      # tid -> name (filled by the serving loop)

    # --- who, where, how much ---------------------------------------------------------

    def jail(self, client):
        cfg = self.clients.get(client)
        if cfg and "dir" in cfg:
            return cfg["dir"].rstrip("/")
        return self.root.rstrip("/") + "/" + client.replace("/", "_")

    def quota_of(self, client):
        cfg = self.clients.get(client)
        if cfg and "quota" in cfg:
            return cfg["quota"]
        return self.quota

    def who(self, sender):
        name = self.client_names.get(sender)
        if name is None:
            raise ServerError(DENIED, "unknown client %r" % (sender,))
        return name

    def resolve(self, client, path):
        # Client path -> (jail, real path). Refuses anything that could leave the jail.
        jail = self.jail(client)
        if "\x00" in path:
            raise ServerError(BADREQ, "NUL in path")
        if path.startswith("/"):
            if path == jail or path.startswith(jail + "/"):
                path = path[len(jail):]
            else:
                raise ServerError(DENIED, "%s is outside %s" % (path, jail))
        parts = []
        for p in path.split("/"):
            if p == "" or p == ".":
                continue
            if p == "..":
                raise ServerError(DENIED, "'..' is not allowed in a path")
            if p.startswith(TMP_PREFIX):
                raise ServerError(DENIED, "names starting with %s are reserved" % TMP_PREFIX)
            parts.append(p)
        if not _is_dir(jail):
            makedirs(jail)
        if client not in self.used:
            self.usage_of(client)           # first sight of this client: count, sweep temps
        if not parts:
            return jail, jail
        return jail, jail + "/" + "/".join(parts)

    def usage_of(self, client):
        u = self.used.get(client)
        if u is None:
            u = self.used[client] = self._walk(self.jail(client))
        return u

    def _walk(self, path):
        # Bytes in the files under path; temporary files left by a crash are removed
        # (nothing of this client is open yet when this runs).
        total = 0
        try:
            names = os.listdir(path)
        except OSError:
            return 0
        for n in names:
            p = path + "/" + n
            st = os.stat(p)
            if st[0] & _S_IFDIR:
                total += self._walk(p)
            elif n.startswith(TMP_PREFIX):
                os.remove(p)
            else:
                total += st[6]
        return total

    def charge(self, client, n):
        used = self.usage_of(client)
        if n > 0 and used + n > self.quota_of(client):
            raise ServerError(QUOTA, "%d bytes used of %d, %d more refused"
                              % (used, self.quota_of(client), n))
        self.used[client] = used + n

    # --- handles ----------------------------------------------------------------------

    def handle(self, sender, h):
        rec = self.handles.get(h)
        if rec is None or rec[_OWNER] != sender:
            raise ServerError(NOENT, "no handle %d" % h)
        return rec

    def _new_handle(self):
        h = self.next_handle
        self.next_handle = h + 1 if h < 0x3FFFFF else 1
        return h

    def open_handle(self, sender, path, mode):
        mode = mode.replace("b", "")
        if mode not in ("r", "w", "a"):
            raise ServerError(BADREQ, "mode must be r, w or a")
        client = self.who(sender)
        jail, real = self.resolve(client, path)
        if real == jail:
            raise ServerError(DENIED, "cannot open the directory itself")
        if len(self.handles) >= MAX_HANDLES:
            raise ServerError(BUSY, "%d files open in all" % MAX_HANDLES)
        if sum(1 for r in self.handles.values() if r[_OWNER] == sender) >= MAX_HANDLES_PER_CLIENT:
            raise ServerError(QUOTA, "at most %d open files per client" % MAX_HANDLES_PER_CLIENT)
        self.usage_of(client)               # sweeps stale temporary files first
        h = self._new_handle()
        if mode == "r":
            if _is_dir(real):
                raise ServerError(BADREQ, "%s is a directory" % path)
            try:
                f = open(real, "rb")
            except OSError as e:
                raise _nofile(e, path)
            self.handles[h] = [sender, client, False, f, real, None]
            return h
        d = real[:real.rfind("/")]
        if not _is_dir(d):
            raise ServerError(NOENT, "no directory for %s" % path)
        if _is_dir(real):
            raise ServerError(BADREQ, "%s is a directory" % path)
        temp = d + "/" + TMP_PREFIX + str(h)
        keep = _size(real) if mode == "a" and _exists(real) else 0
        self.charge(client, keep)
        try:
            f = open(temp, "wb")
            if keep:
                self._copy(real, f)
        except Exception:
            self.charge(client, -keep)
            _remove_quietly(temp)
            raise
        self.handles[h] = [sender, client, True, f, real, temp]
        return h

    def _copy(self, src, f):
        buf = bytearray(256)
        with open(src, "rb") as s:
            while True:
                n = s.readinto(buf)
                if not n:
                    break
                f.write(buf if n == len(buf) else buf[:n])

    def commit(self, rec):
        rec[_FILE].close()
        target = rec[_TARGET]
        old = _size(target) if _exists(target) else 0
        try:
            os.rename(rec[_TEMP], target)
        except OSError as e:
            if not (e.args and e.args[0] == _EEXIST):
                raise
            os.remove(target)               # FAT will not rename over a file
            os.rename(rec[_TEMP], target)
        self.used[rec[_CLIENT]] = self.usage_of(rec[_CLIENT]) - old

    def drop(self, rec):
        try:
            rec[_FILE].close()
        except OSError:
            pass
        if rec[_WRITING]:
            self.used[rec[_CLIENT]] = self.usage_of(rec[_CLIENT]) - _size(rec[_TEMP])
            _remove_quietly(rec[_TEMP])

    # --- ops ----------------------------------------------------------------------------

    def op_open(self, sender, path, mode):
        h = self.open_handle(sender, path, mode)
        if sender in self.watch.tids:
            return h
        return self._watched(sender, h)

    def _watched(self, sender, h):
        yield from self.watch.add(sender)
        return h

    def op_read(self, sender, h, n):
        rec = self.handle(sender, h)
        if rec[_WRITING]:
            raise ServerError(BADREQ, "handle %d is open for writing" % h)
        if n < 0:
            raise ServerError(BADREQ, "n must be >= 0")
        return rec[_FILE].read(min(n, MAX_READ))

    def op_write(self, sender, h, data):
        rec = self.handle(sender, h)
        if not rec[_WRITING]:
            raise ServerError(BADREQ, "handle %d is open for reading" % h)
        self.charge(rec[_CLIENT], len(data))
        try:
            n = rec[_FILE].write(data)
        except Exception:
            self.charge(rec[_CLIENT], -len(data))
            raise
        return len(data) if n is None else n

    def op_close(self, sender, h):
        rec = self.handle(sender, h)
        del self.handles[h]
        if rec[_WRITING]:
            try:
                self.commit(rec)
            except Exception:
                self.drop(rec)
                raise
        else:
            rec[_FILE].close()
        return True

    def op_abort(self, sender, h):
        rec = self.handle(sender, h)
        del self.handles[h]
        self.drop(rec)
        return True

    def op_put(self, sender, path, data):
        h = self.open_handle(sender, path, "w")
        rec = self.handles.pop(h)
        try:
            self.charge(rec[_CLIENT], len(data))
            rec[_FILE].write(data)
            self.commit(rec)
        except Exception:
            self.drop(rec)
            raise
        return len(data)

    def op_get(self, sender, path, n):
        jail, real = self.resolve(self.who(sender), path)
        if _is_dir(real):
            raise ServerError(BADREQ, "%s is a directory" % path)
        try:
            with open(real, "rb") as f:
                return f.read(max(0, min(n, MAX_GET)))
        except OSError as e:
            raise _nofile(e, path)

    def op_list(self, sender, path):
        jail, real = self.resolve(self.who(sender), path)
        try:
            names = sorted(os.listdir(real))
        except OSError as e:
            raise _nofile(e, path)
        out = []
        for n in names:
            if n.startswith(TMP_PREFIX):
                continue
            st = os.stat(real + "/" + n)
            d = st[0] & _S_IFDIR != 0
            out.append((n, d, 0 if d else st[6]))
        return out

    def op_stat(self, sender, path):
        jail, real = self.resolve(self.who(sender), path)
        try:
            st = os.stat(real)
        except OSError as e:
            raise _nofile(e, path)
        d = st[0] & _S_IFDIR != 0
        return (0 if d else st[6], d)

    def op_remove(self, sender, path):
        client = self.who(sender)
        jail, real = self.resolve(client, path)
        if real == jail:
            raise ServerError(DENIED, "cannot remove your own directory")
        try:
            st = os.stat(real)
        except OSError as e:
            raise _nofile(e, path)
        if st[0] & _S_IFDIR:
            os.rmdir(real)
        else:
            self.usage_of(client)
            os.remove(real)
            self.used[client] -= st[6]
        return True

    def op_mkdir(self, sender, path):
        jail, real = self.resolve(self.who(sender), path)
        if _exists(real) and not _is_dir(real):
            raise ServerError(BADREQ, "%s is a file" % path)
        makedirs(real)
        return True

    def op_usage(self, sender):
        client = self.who(sender)
        self.resolve(client, "")
        return (self.usage_of(client), self.quota_of(client))

    # --- clients that end -----------------------------------------------------------

    def on_kernel(self, msg):
        tid = self.watch.down(msg)
        if tid is not None:
            for h in [h for h, r in self.handles.items() if r[_OWNER] == tid]:
                self.drop(self.handles.pop(h))


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


# root: the directory clients see as "/"; quota: bytes each client may store; clients:
# {task name: {"dir": ..., "quota": ...}} for clients with a directory of their own.
CONFIG = {"root": "/data", "quota": 65536, "clients": None}


def main(name="fs", **config):
    c = configure(CONFIG, config, name)
    yield from serve(PROTOCOL, Files(c["root"], c["quota"], c["clients"]), name)


