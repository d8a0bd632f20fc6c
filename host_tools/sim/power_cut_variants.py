"""Broken variants of `mpk deploy`, to show that the power-loss sweep catches them.

Each one changes a script the real deploy (host_tools/deploy_write._apply) sends to the
board, and nothing else:

  built_first           .built is written before the files, as the first step
  switch_first          the switch to the new tree is made before its files are written
  remove_active_first   the switch removes /mpk/active, then writes the new one
  active_in_place       the switch rewrites /mpk/active in place (no rename); littlefs
                        commits a file at close, so this one stays atomic there
"""
import contextlib

from host_tools import deploy_write

_SWITCH_MARK = "os.rename('/mpk/active.new', '/mpk/active')"


def _built_first(code, manifest, p):
    built = "with open(%r, 'w') as f:\n f.write(%r)" % ("/mpk/%s/.built" % p["target"], manifest["build_id"])
    if code == built:
        return []  # written first already
    if "os.mkdir('/mpk')" in code:
        return [code, built]
    return [code]


def _switch_first(code, manifest, p):
    if _SWITCH_MARK in code:
        return []  # made first already
    if "os.mkdir('/mpk')" in code:
        switch = ("import os\nwith open('/mpk/active.new', 'w') as f:\n f.write(%r)\n"
                  "os.rename('/mpk/active.new', '/mpk/active')" % (p["target"] + " 0"))
        return [code, switch]
    return [code]


def _switch(new_code):
    def rewrite(code, manifest, p):
        if _SWITCH_MARK in code:
            return [new_code % (p["target"] + " 0")]
        return [code]
    return rewrite


VARIANTS = {
    "built_first": _built_first,
    "switch_first": _switch_first,
    "remove_active_first": _switch(
        "import os\nos.remove('/mpk/active')\nwith open('/mpk/active', 'w') as f:\n f.write(%r)"),
    "active_in_place": _switch("with open('/mpk/active', 'w') as f:\n f.write(%r)"),
}


class _Board:
    """The deploy's board connection, with its scripts passed through `rewrite`."""

    def __init__(self, board, rewrite, manifest, p):
        self._board, self._rewrite, self._m, self._p = board, rewrite, manifest, p

    def exec(self, code, *args, **kw):
        out = b""
        for c in self._rewrite(code, self._m, self._p):
            out = self._board.exec(c, *args, **kw)
        return out

    def __getattr__(self, name):
        return getattr(self._board, name)


@contextlib.contextmanager
def variant(name):
    """Deploys in this block run the named broken variant (None: the real deploy)."""
    if name is None:
        yield
        return
    rewrite = VARIANTS[name]
    real = deploy_write._apply

    def apply(b, manifest, p, *args, **kw):
        return real(_Board(b, rewrite, manifest, p), manifest, p, *args, **kw)

    deploy_write._apply = apply
    try:
        yield
    finally:
        deploy_write._apply = real
