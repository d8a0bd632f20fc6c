"""Reading on-device test modules on the host, without importing them (they import
`machine`, `kernel`, ... that exist only on the board).

A module is `test_*.py` in the HIL directory; its tests are the top-level `def test_*()`
functions. What the host reads, all as literals:

    HIL_TIMEOUT_S = 20                 # per-test timeout in seconds (default: --hil-timeout)
    NEEDS = ("i2c",)                   # features every test of the module needs

    @hil.needs("wifi")                 # features one test needs (tests/hil/hil.py: needs)
    def test_scan(): ...

A test whose board lacks a feature is skipped with the board and the feature named.
Features are what `features()` gives for a board definition (boards/<name>.py).
"""
import ast

DEFAULT_TIMEOUT_S = 60


class HilTest:
    def __init__(self, module, name, lineno, timeout, needs):
        self.module = module        # module name, e.g. "test_gpio"
        self.name = name            # function name
        self.lineno = lineno
        self.timeout = timeout      # seconds, or None for the session default
        self.needs = tuple(needs)

    def __repr__(self):
        return "HilTest(%s::%s)" % (self.module, self.name)


def _literal(node, what, path):
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError("%s: %s must be a literal" % (path, what)) from None


def _strings(value):
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _decorator_needs(dec, path):
    # @hil.needs("a", "b") or @needs("a")
    if not isinstance(dec, ast.Call):
        return ()
    f = dec.func
    name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
    if name != "needs":
        return ()
    out = []
    for a in dec.args:
        out.extend(_strings(_literal(a, "needs(...)", path)))
    return tuple(out)


def parse_module(source, path="<module>", module=None):
    """The tests of one on-device module, as HilTest objects, in file order."""
    tree = ast.parse(source, filename=str(path))
    module = module or str(path).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    timeout, needs = None, ()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if getattr(t, "id", None) == "HIL_TIMEOUT_S":
                    timeout = float(_literal(node.value, "HIL_TIMEOUT_S", path))
                elif getattr(t, "id", None) == "NEEDS":
                    needs = _strings(_literal(node.value, "NEEDS", path))
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            fn_needs = list(needs)
            for dec in node.decorator_list:
                fn_needs.extend(_decorator_needs(dec, path))
            out.append(HilTest(module, node.name, node.lineno, timeout, dict.fromkeys(fn_needs)))
    return out


def features(board_module, extra=()):
    """The features a board definition offers, for needs(): the servers the system image
    runs on it (gpio, i2c, spi, uart, adc, pwm, timer, fs, log, watchdog, display, console,
    net: firmware/system.py, as firmware/image.py picks them), "wifi" with a radio,
    "virtual" or "real", its name and MCU, and `extra` (e.g. "loopback": the jumpers of the
    HIL wiring, which a virtual board started by the runner has and a rack declares)."""
    b = board_module
    from firmware import image, system

    f = set(e["name"] for e in system.IMAGE["tasks"] if image.applies(e, b))
    if getattr(b, "HAS_WIFI", False):
        f.update(("wifi", "net"))
    f.add("virtual" if getattr(b, "VIRTUAL", False) else "real")
    for attr in ("NAME", "MCU"):
        v = getattr(b, attr, None)
        if v:
            f.add(str(v))
    if getattr(b, "TEMP_SENSOR", None):
        f.add("temp")
    f.update(extra)
    return f
