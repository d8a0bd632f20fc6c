# Board side of `mpk deploy`'s read of the board (host_tools/deploy.py parses what it
# prints): both firmware trees, file by file, then one JSON line about the board.
# A stopped system may hold most of the heap, so nothing big is built: each file is a
# line as the walk meets it.
#   F tree hash size path     a file (hash: sha256 hex cut to hash_len; ? not hashed)
#   D tree path/              a directory
#   N tree                    no such tree
import os
import sys

try:
    import hashlib
    import binascii
except ImportError:
    hashlib = None

_buf = bytearray(1024)


def _hash(path, hash_len):
    if hashlib is None:
        return None
    h = hashlib.sha256()
    mv = memoryview(_buf)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(_buf)
            if not n:
                break
            h.update(mv[:n])
    return binascii.hexlify(h.digest())[:hash_len].decode()


def _walk(d, tree, rel, hashed, hash_len):
    try:
        entries = os.ilistdir(d)  # type: ignore[attr-defined]
    except OSError:
        print("N", tree)
        return
    for e in entries:
        path = d + "/" + e[0]
        name = rel + e[0]
        if e[1] & 0x4000:
            print("D", tree, name + "/")
            _walk(path, tree, name + "/", hashed, hash_len)
        else:
            size = e[3] if len(e) > 3 and e[3] >= 0 else os.stat(path)[6]
            print("F", tree, _hash(path, hash_len) if hashed else "?", size, name)


def _root_file(path, mark, hash_len):
    # (hash, size, written by mpk) of /boot.py or /main.py, or None.
    try:
        with open(path, "rb") as f:
            ours = f.read(len(mark)) == mark
        return _hash(path, hash_len), os.stat(path)[6], ours
    except OSError:
        return None


def hash_trees(slot_dir, trees, hash_len):
    # The files of the named trees, every one hashed.
    for t in trees:
        _walk(slot_dir + t, t, "", True, hash_len)


def scan(slot_dir, hash_len, mark, hash_idle):
    # Everything deploy needs to know. The running tree is always hashed; the idle one
    # only with hash_idle (else "?": hashed later, if something is to be written).
    try:
        with open(slot_dir + "active") as f:
            active = f.read().strip()
    except OSError:
        active = None
    try:
        machine = os.uname().machine
    except Exception:
        machine = getattr(sys.implementation, "_machine", "")
    try:
        s = os.statvfs("/")
        fs = (s[0], s[3], s[2])
    except Exception:
        fs = None
    k = sys.modules.get("kernel")
    try:
        running = k is not None and k.running_kernel() is not None
    except Exception:
        running = False
    try:
        import deflate  # noqa: F401

        inflates = True
    except ImportError:
        inflates = False
    first = (active or "").split()[:1]
    for t in ("a", "b"):
        _walk(slot_dir + t, t, "", hash_idle or first == [t], hash_len)
    info = {"active": active, "fs": fs, "mpy": getattr(sys.implementation, "_mpy", None),
            "root": {"boot.py": _root_file("/boot.py", mark, hash_len),
                     "main.py": _root_file("/main.py", mark, hash_len)},
            "platform": sys.platform, "machine": machine, "hash": hashlib is not None,
            "kernel": running, "deflate": inflates}
    try:
        import json

        print(json.dumps(info))
    except ImportError:
        print(repr(info))
