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

from host_tools import agent, deploy_write

# What the real deploy sends (host_tools/agent/files.py, called from deploy_write._apply)
_SWITCH_MARK = "write_replace('/mpk/active', "
_PREPARE_MARK = "prepare('/mpk/"


def _files(expr):
    return agent.call("files", expr)


def _built_first(code, manifest, p):
    if "seal(" in code:
        return []  # written first already
    built = _files("write(%r, %r)" % ("/mpk/%s/.built" % p["target"], manifest["build_id"]))
    if _PREPARE_MARK in code:
        return [code, built]
    return [code]


def _switch_first(code, manifest, p):
    if _SWITCH_MARK in code:
        return []  # made first already
    if _PREPARE_MARK in code:
        return [code, _files("write_replace('/mpk/active', %r)" % (p["target"] + " 0"))]
    return [code]


def _switch(expr):
    def rewrite(code, manifest, p):
        if _SWITCH_MARK in code:
            return [_files(expr % (p["target"] + " 0"))]
        return [code]
    return rewrite


VARIANTS = {
    "built_first": _built_first,
    "switch_first": _switch_first,
    "remove_active_first": _switch("rm('/mpk/active', False)\nwrite('/mpk/active', %r)"),
    "active_in_place": _switch("write('/mpk/active', %r)"),
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
