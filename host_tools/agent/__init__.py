"""Board-side code that host tools send to a board: real MicroPython files, linted and
tested under the unix port like the firmware (tests/host/test_agent_*.py), sent as
source with comment lines, blank lines and most indentation left out (raw-paste costs
by the byte), and called by one line the host adds."""
import ast
import os

_DIR = os.path.dirname(os.path.abspath(__file__))
_cache = {}


def path(name):
    return os.path.join(_DIR, name + ".py")


def source(name):
    """The agent `name` (host_tools/agent/<name>.py) as the text to send. Agents use
    4-space indentation and no multi-line strings, so each level becomes one space."""
    text = _cache.get(name)
    if text is None:
        with open(path(name)) as f:
            lines = [ln.rstrip() for ln in f]
        out = []
        for ln in lines:
            body = ln.lstrip(" ")
            if not body or body.startswith("#"):
                continue
            indent = len(ln) - len(body)
            out.append(" " * (indent // 4) + " " * (indent % 4) + body + "\n")
        text = _cache[name] = "".join(out)
    return text


def defined(name):
    """The names the agent defines at its top level (imports aside)."""
    with open(path(name)) as f:
        tree = ast.parse(f.read())
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def call(name, expr):
    """Code that runs agent `name` and then `expr` (e.g. "scan('/mpk/', 20)"), and leaves
    the REPL's namespace as it found it (a stopped system's REPL shares it)."""
    names = defined(name)
    return (source(name) + expr + "\n"
            + "for _n in %r:\n globals().pop(_n, None)\ndel _n\n" % (tuple(names),))
