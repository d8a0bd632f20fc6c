# Board side of `mpk deploy`'s read of the board (host_tools/deploy.py parses what it
# prints): both firmware trees, file by file, then one JSON line about the board.
# A stopped system may hold most of the heap, so nothing big is built: each file is a
# line as the walk meets it.
#   F tree hash size path     a file (hash: sha256 hex cut to hash_len)
#   D tree path/              a directory
#   N tree                    no such tree
#   U tree                    a tree left unread (the quick read's idle tree: hash_trees
#                             reads it later, if something is to be written)
# A tree's .sums (seal.py, written when the deploy completed the tree) gives a file's
# hash while the file still has the size it lists (trust), so an unchanged board is read
# without reading its files; `mpk deploy --verify` hashes every file all the same.
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


def _sums(d):
    # {path: (hash, size)} from the tree's .sums; {} without one.
    known = {}
    try:
        with open(d + "/.sums") as f:
            for line in f:
                h, size, path = line.rstrip("\n").split(" ", 2)
                known[path] = (h, int(size))
    except (OSError, ValueError):
        return {}
    return known


def _walk(d, tree, rel, hash_len, known):
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
            _walk(path, tree, name + "/", hash_len, known)
            continue
        size = e[3] if len(e) > 3 and e[3] >= 0 else os.stat(path)[6]
        k = known.get(name)
        h = k[0][:hash_len] if k is not None and k[1] == size else _hash(path, hash_len)
        print("F", tree, h, size, name)


def _tree(slot_dir, t, hashed, hash_len, trust):
    d = slot_dir + t
    if not hashed:
        # Listing it would cost a line per file, and what is to be written is decided
        # from the hashes (read then), so a stopped system's Pico is spared it.
        try:
            os.stat(d)
            print("U", t)
        except OSError:
            print("N", t)
        return
    _walk(d, t, "", hash_len, _sums(d) if trust else {})


def _root_file(path, mark, hash_len):
    # (hash, size, written by mpk) of /boot.py or /main.py, or None.
    try:
        with open(path, "rb") as f:
            ours = f.read(len(mark)) == mark
        return _hash(path, hash_len), os.stat(path)[6], ours
    except OSError:
        return None


def hash_trees(slot_dir, trees, hash_len, trust=True):
    # The files of the named trees, every one hashed.
    for t in trees:
        _tree(slot_dir, t, True, hash_len, trust)


def scan(slot_dir, hash_len, mark, hash_idle, trust=True):
    # Everything deploy needs to know. The running tree is always read and hashed; the
    # idle one only with hash_idle (else "U": read later, if something is to be written).
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
        _tree(slot_dir, t, hash_idle or first == [t], hash_len, trust)
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
