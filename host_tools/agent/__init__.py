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


def _squeeze(lines):
    # Agents use 4-space indentation and no multi-line strings, so each level becomes
    # one space; comment lines and blank lines go.
    out = []
    for ln in lines:
        ln = ln.rstrip()
        body = ln.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        indent = len(ln) - len(body)
        out.append(" " * (indent // 4) + " " * (indent % 4) + body + "\n")
    return "".join(out)


def source(name):
    """The agent `name` (host_tools/agent/<name>.py), all of it, as the text to send."""
    text = _cache.get(name)
    if text is None:
        with open(path(name)) as f:
            text = _cache[name] = _squeeze(f.read().splitlines())
    return text


def _top_level(name):
    """The agent's top-level statements: [(function or class defined or None, the names it
    uses, its lines, the names it assigns)]."""
    key = ("top", name)
    if key not in _cache:
        with open(path(name)) as f:
            lines = f.read().splitlines()
        parts = []
        for node in ast.parse("\n".join(lines)).body:
            defined_name = node.name if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else None
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            # a function's own arguments and locals are not the top-level names they may share
            used -= {a.arg for n in ast.walk(node) if isinstance(n, ast.arguments)
                     for a in n.posonlyargs + n.args + n.kwonlyargs + [n.vararg, n.kwarg] if a}
            used -= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            sets = [t.id for t in node.targets if isinstance(t, ast.Name)] if isinstance(node, ast.Assign) else []
            parts.append((defined_name, used, lines[node.lineno - 1:node.end_lineno], sets))
        _cache[key] = parts
    return _cache[key]


def needed(name, expr):
    """The text of agent `name` that `expr` needs: its imports and other top-level
    statements, and the functions and classes expr calls, with those they call in turn.
    A Pico compiles what it is sent, at about a millisecond a line: `mpk ls` needs
    files.ls, not the whole of files.py."""
    parts = _top_level(name)
    defs = {d: used for d, used, _, _ in parts if d}
    want, todo = set(), [n.id for n in ast.walk(ast.parse(expr)) if isinstance(n, ast.Name)]
    while todo:
        n = todo.pop()
        if n in defs and n not in want:
            want.add(n)
            todo.extend(defs[n])
    lines, names = [], sorted(want)
    for d, _, body, sets in parts:
        if d is None or d in want:
            lines += body
            names += sets
    return _squeeze(lines), names


def call(name, expr):
    """Code that runs agent `name` and then `expr` (e.g. "scan('/mpk/', 20)"), and leaves
    the REPL's namespace as it found it (a stopped system's REPL shares it)."""
    text, names = needed(name, expr)
    return (text + expr + "\n"
            + "for _n in %r:\n globals().pop(_n, None)\ndel _n\n" % (tuple(names),))
