# The firmware's names (`mpk build` lists them in the tree's .qstrs), interned before the
# firmware loads. MicroPython's table of names grows by doubling, each step one block (on
# a Pico with the full image: 1280 entries, 7.7 KB); taken while the heap is in one piece
# it always fits, and leaves room for what the REPL after Ctrl-C and a live update add.
# Once the firmware is loaded the heap is in small pieces, and the image would fail at
# boot ("MemoryError ... allocating 1280 bytes": the entries asked for). boot.py's start()
# calls this first; firmware/main.py too, for a system started from the REPL (tests,
# `mpk hil`). Once per boot.
import sys

_done = False


def intern_tree():
    global _done
    if _done:
        return
    _done = True
    for p in sys.path:
        if p.startswith("/mpk/"):
            _intern(p + "/.qstrs")
            return


def _intern(path):
    # All the names are read first, then interned: the table's pieces then lie together
    # above them, and the names' copies, let go at once, leave one hole, not many.
    try:
        with open(path) as f:
            names = f.read().split("\n")
        for n in names:
            getattr(_intern, n, None)
    except (OSError, MemoryError):
        pass
    names = None
