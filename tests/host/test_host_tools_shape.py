"""The shape of host_tools/ (issue: one link, one command table, no import circle).

Checked on the source, as a reader would: which modules import mpremote, which import
which, and whether Python code is kept in strings to be sent to a board.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "host_tools"
BOARD_SIDE = ("agent", "sim/board", "sim/rp2040/simworld")     # MicroPython files, sent as they are
# Writes a small project's files (firmware/main.py among them) for the power-cut sweep:
# they are deployed as files of that project, not run as scripts.
GENERATES_FILES = ("host_tools/sim/power_cut_project.py",)


def _modules():
    for p in sorted(HOST.rglob("*.py")):
        rel = p.relative_to(ROOT)
        if any(str(p.relative_to(HOST)).startswith(b) for b in BOARD_SIDE):
            continue
        name = ".".join(rel.with_suffix("").parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        yield name, p, ast.parse(p.read_text(), str(p))


def _imports(name, tree, is_pkg):
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_pkg else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(mod + "." + a.name for a in node.names)
    return out


def test_mpremote_is_imported_by_the_link_only():
    users = sorted(name for name, p, tree in _modules()
                   if any(i == "mpremote" or i.startswith("mpremote.") for i in _imports(name, tree, False)))
    assert users == ["host_tools.link"]


def test_no_code_reaches_into_the_transport_outside_the_link():
    for name, p, tree in _modules():
        if name == "host_tools.link":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "t" and isinstance(node.value, ast.Name):
                raise AssertionError("%s:%d reaches into a link's transport (.t)" % (p, node.lineno))


def test_no_import_circle_in_host_tools():
    mods = {name: (p, tree) for name, p, tree in _modules()}
    graph = {}
    for name, (p, tree) in mods.items():
        deps = {i for i in _imports(name, tree, p.name == "__init__.py") if i in mods and i != name}
        graph[name] = deps - {name}
    # a package's __init__ imported by its own submodule is not a circle of modules
    seen, stack = set(), []

    def visit(n):
        if n in stack:
            cycle = stack[stack.index(n):] + [n]
            if not all(a.startswith(b + ".") or b.startswith(a + ".") for a, b in zip(cycle, cycle[1:])):
                raise AssertionError("import circle: " + " -> ".join(cycle))
            return
        if n in seen:
            return
        seen.add(n)
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            visit(d)
        stack.pop()

    for n in sorted(graph):
        visit(n)


def test_no_board_script_in_a_python_string():
    # Board-side code lives in host_tools/agent/*.py (linted, run under the unix port);
    # a string literal holding several lines of Python with a def, a loop or an import
    # in host-side code would be one kept outside.
    for name, p, tree in _modules():
        if str(p.relative_to(ROOT)) in GENERATES_FILES:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value
            if text.count("\n") < 3 or not any(k in text for k in ("def ", "for ", "while ", "import ")):
                continue
            try:
                code = ast.parse(text)
            except SyntaxError:
                continue
            if any(isinstance(n, (ast.FunctionDef, ast.For, ast.While)) for n in ast.walk(code)):
                raise AssertionError("%s:%d holds a board script in a string" % (p, node.lineno))


def test_no_board_table_outside_boards():
    # Every fact about a board is in boards/<name>.py (host_tools/board_defs.py reads it);
    # a host module naming three boards or more would be a table of its own. A default
    # ("pico", the virtual board "sim") is not one.
    from host_tools import board_defs

    names = set(board_defs.names())
    for name, p, tree in _modules():
        named = {n.value for n in ast.walk(tree)
                 if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in names}
        assert len(named) < 3, "%s names boards %s: a board table outside boards/" % (p, sorted(named))
