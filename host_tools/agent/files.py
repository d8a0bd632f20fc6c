# Board side of the file operations of mpk: listing and removing (mpk ls, mpk rm), and
# the steps of a deploy around the transfer: preparing the idle tree, putting a user's
# own /boot.py or /main.py aside, and replacing files atomically (the switch itself).
import os


def ls(path, recursive):
    # One repr((path, is_dir, size)) line per entry, sorted.
    st = os.stat(path)
    if not st[0] & 0x4000:
        print(repr((path, False, st[6])))
        return
    for e in sorted(os.ilistdir(path)):  # type: ignore[attr-defined]
        p = path.rstrip("/") + "/" + e[0]
        is_dir = e[1] & 0x4000
        print(repr((p, bool(is_dir), 0 if is_dir else os.stat(p)[6])))
        if is_dir and recursive:
            ls(p, recursive)


def rm(path, recursive):
    if os.stat(path)[0] & 0x4000:
        if not recursive:
            raise OSError(21)            # EISDIR
        for e in os.ilistdir(path):  # type: ignore[attr-defined]
            rm(path.rstrip("/") + "/" + e[0], recursive)
        os.rmdir(path)
    else:
        os.remove(path)


def _mkdir(path):
    try:
        os.mkdir(path)
    except OSError:
        pass


def prepare(tree_dir, remove, rmdirs, mkdirs):
    # The idle tree before the transfer: stale files and directories gone, new ones made.
    _mkdir("/mpk")
    _mkdir(tree_dir[:-1])
    for p in remove:
        os.remove(tree_dir + p)
    for d in rmdirs:
        try:
            os.rmdir(tree_dir + d)
        except OSError:
            pass
    for d in mkdirs:
        os.mkdir(tree_dir + d)


def keep_aside(paths):
    # Rename each file to <name>.orig (.orig.1, ... when taken); print the new names.
    for p in paths:
        n = p + ".orig"
        i = 0
        while True:
            try:
                os.stat(n)
            except OSError:
                break
            i += 1
            n = p + ".orig.%d" % i
        os.rename(p, n)
        print(n)


def replace(pairs):
    # Each (new, final): new renamed over final in one step (littlefs renames atomically);
    # where a filesystem will not rename over a file, final is removed first.
    for new, final in pairs:
        try:
            os.rename(new, final)
        except OSError:
            os.remove(final)
            os.rename(new, final)


def write_replace(path, text):
    # path gets text atomically: written beside it, then renamed over it.
    with open(path + ".new", "w") as f:
        f.write(text)
    replace([(path + ".new", path)])


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def mkdirs(paths):
    # Each directory made where it is missing (parents first: in the order given).
    for p in paths:
        _mkdir(p)


def rm_quietly(paths):
    # Each path removed with all it holds; what is not there is not an error.
    for p in paths:
        try:
            rm(p, True)
        except OSError:
            pass
