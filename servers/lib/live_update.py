# Live update of servers (MINIX 3's live update, QNX's restartable resource managers):
# the supervisor replaces the tasks whose code changed, loaded from the freshly deployed
# tree, while every other task keeps running. This module holds what is not policy: which
# tree is on sys.path, forgetting a module so it loads again, and marking the active tree
# (firmware/wire.py's layout) when an update is rolled back.
import sys
from firmware.wire import SLOT_DIR, ACTIVE

GRACE_MS = 3000          # a new incarnation that faults within this is rolled back


def tree_on_path():
    # The deployed tree imports come from ("/mpk/a"), or None (a test, a bare board).
    for p in sys.path:
        if p.startswith(SLOT_DIR):
            return p
    return None


def use_tree(old, new):
    # From now on imports come from `new` instead of `old` (the trees differ only in the
    # changed modules: everything already imported stays as it is). A submodule is found
    # through its package's __path__, not sys.path: the packages move too.
    for i in range(len(sys.path)):
        if sys.path[i] == old:
            sys.path[i] = new
    for m in list(sys.modules.values()):
        p = getattr(m, "__path__", None)
        if type(p) is str:                       # MicroPython: one directory
            if p.startswith(old + "/"):
                m.__path__ = new + p[len(old):]
        elif type(p) is list:                    # CPython
            p[:] = [new + d[len(old):] if d.startswith(old + "/") else d for d in p]


def forget(modules):
    # The next import of each module loads its code again, from the tree on sys.path.
    for m in modules:
        sys.modules.pop(m, None)
        dot = m.rfind(".")
        parent = sys.modules.get(m[:dot]) if dot > 0 else None
        if parent is not None:
            try:
                delattr(parent, m[dot + 1:])
            except (AttributeError, TypeError):
                pass


def mark_active(tree):
    # The tree a reset boots, confirmed ("/mpk/a" -> "a"), switched by one rename as the
    # deploy does it (boot.py reads it).
    name = tree[len(SLOT_DIR):]
    import os

    with open(ACTIVE + ".new", "w") as f:
        f.write(name)
    try:
        os.rename(ACTIVE + ".new", ACTIVE)
    except OSError:                      # a filesystem that will not rename over a file
        os.remove(ACTIVE)
        os.rename(ACTIVE + ".new", ACTIVE)


class Update:
    # One live update in progress: what was replaced, until when a fault of a new
    # incarnation rolls it back.
    def __init__(self, modules, old, new, until):
        self.modules = modules
        self.old = old               # the trees on sys.path before and after
        self.new = new
        self.until = until           # ticks_ms: the end of the grace period
        self.replaced = []           # (child, old tid)
        self.states = {}             # name -> what the old incarnation handed over
