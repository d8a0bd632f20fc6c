"""The boards mpk knows, read from boards/: one module per board, one name per board.

Everything about a board is in boards/<name>.py: what the firmware reads on the board
(pins, buses, limits: plain data, imported here under CPython as on the board) and, in
its `if False:` block, what only the host needs. MicroPython compiles that block to
nothing, so those facts cost a board no RAM; the host reads them from the file's text
(never running it), following `from boards.X import *` as the module itself does:

    MACHINE    os.uname().machine of the official firmware
    MPY_ARCH   mpy-cross -march
    FIRMWARE   (mpflash port, MicroPython board id, file kind "uf2" or "esp"): mpk flash
    USB        {(vid, pid): what that USB device is}: its serial port running MicroPython
    FLASH      (bytes of flash, of the firmware's filesystem, of an erase block)

    names()            every board (boards.NAMES; "sim" is the virtual board)
    load(name)         its module
    facts(name)        its host facts, a dict of the names above (root: another project's boards/)
    flashable()        the boards `mpk flash --board` takes: those with a FIRMWARE
    firmware(name)     (mpflash port, board id, kind, chip) for mpk flash; chip is MCU
    usb()              {(vid, pid): (what it is, [boards])}
    from_uname(platform, machine)   the board a connected one is, from what it reports
"""
import ast
from pathlib import Path

from host_tools import device_code
from host_tools.errors import MpkError

PROJECT_ROOT = device_code.ROOT
HOST_FACTS = ("MACHINE", "MPY_ARCH", "FIRMWARE", "USB", "FLASH")


def _package():
    return device_code.load("boards")


def names():
    return tuple(_package().NAMES)


def load(name):
    """The board module `name` (MpkError naming the boards for an unknown one)."""
    b = _package()
    if name not in b.NAMES:
        raise MpkError("unknown board %r (known: %s)" % (name, ", ".join(b.NAMES)))
    return b.load(name)


# ---------------------------------------------------------------------------- host facts
_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
        ast.FloorDiv: lambda a, b: a // b, ast.LShift: lambda a, b: a << b, ast.BitOr: lambda a, b: a | b}


def _value(node, where):
    """A plain-data expression: constants, tuples, lists, dicts, integer arithmetic."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_value(e, where) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_value(k, where): _value(v, where) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand, where)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_value(node.left, where), _value(node.right, where))
    raise MpkError("%s:%d: a board's host facts must be plain data" % (where, node.lineno))


def _is_false(node):
    return isinstance(node, ast.Constant) and node.value is False


def facts(name, root=None):
    """The host facts of board `name` in root/boards/ (default: mpk's own), those it
    inherits included; {} when there is no such module. Assignments at the top of the
    module count too (a project's own board may set MPY_ARCH there)."""
    root = Path(root) if root is not None else PROJECT_ROOT
    return _facts(root, name, ())


def _facts(root, name, seen):
    out = {}
    for step in _steps(root, name):
        if step[0] == "base":
            if step[1] not in seen and step[1] != name:
                out.update(_facts(root, step[1], seen + (name,)))
        else:
            v = step[2]
            out[step[1]] = dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
    return out


_READ = {}    # (path, size, mtime) -> steps: a module's file is parsed once while unchanged


def _steps(root, name):
    """What boards/<name>.py says, in order: ("base", module) for `from boards.X import *`,
    ("set", NAME, value) for a host fact."""
    path = root / "boards" / (name + ".py")
    if not path.is_file():
        path = root / "boards" / name / "__init__.py"
    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key in _READ:
            return _READ[key]
        tree = ast.parse(path.read_text(), str(path))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return ()
    where = "boards/%s" % path.relative_to(root / "boards").as_posix()
    steps = []

    def take(stmts, strict):
        for node in stmts:
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name) and t.id in HOST_FACTS:
                        try:
                            steps.append(("set", t.id, _value(node.value, where)))
                        except MpkError:
                            if strict:        # the host block is data; the module may compute
                                raise

    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names) \
                and (node.module or "").startswith("boards."):
            steps.append(("base", node.module[len("boards."):]))
        elif isinstance(node, ast.If) and _is_false(node.test):
            take(node.body, True)
        else:
            take([node], False)
    _READ[key] = tuple(steps)
    return _READ[key]


# ---------------------------------------------------------------------------- what the host asks
def flashable():
    """The boards with an official firmware to flash, in boards.NAMES's order."""
    return [n for n in names() if facts(n).get("FIRMWARE")]


def firmware(name):
    """(mpflash port, MicroPython board id, file kind, chip) of a board mpk flash takes."""
    fw = facts(name).get("FIRMWARE") if name in names() else None
    if not fw:
        raise MpkError("unknown board %r for mpk flash (known: %s)" % (name, ", ".join(flashable())))
    port, board_id, kind = fw
    return port, board_id, kind, load(name).MCU


def usb():
    """{(vid, pid): (what the USB device is, [the boards that show up as it])}."""
    out = {}
    for n in names():
        for ids, what in (facts(n).get("USB") or {}).items():
            out.setdefault(ids, (what, []))[1].append(n)
    return out


def _squash(text):
    return "".join(c for c in (text or "").lower() if c.isalnum())


def from_uname(platform, machine):
    """The board's name from sys.platform and os.uname().machine, read against each
    board's MACHINE and MCU: its own MACHINE (spelling aside: "ESP32S3"/"ESP32-S3"), else
    the board of that chip whose MACHINE is closest (a Pico 2 running the RISC-V build, a
    third-party RP2040 board: the plainest of that chip's). "sim" for the virtual board and
    the unix port; the platform itself for a port mpk has no board of."""
    m = _squash(machine)
    if "(virtual)" in (machine or "").lower():
        return "sim"
    best = None
    for n in names():
        f = facts(n)
        if (f.get("FIRMWARE") or ("",))[0] != platform:
            continue
        own = _squash(f.get("MACHINE"))
        if own and m == own:
            return n
        chip = _squash(load(n).MCU)
        if chip and chip in m:
            common = next((i for i, (a, b) in enumerate(zip(m, own)) if a != b), min(len(m), len(own)))
            # the chip named last counts most ("ESP32S3" holds "ESP32" too); then the
            # longest MACHINE in common; then the plainest board (the shortest name)
            rank = (m.rfind(chip) + len(chip), len(chip), common, -len(n))
            if best is None or rank > best[0]:
                best = (rank, n)
    if best:
        return best[1]
    if platform in ("linux", "darwin", "unix"):
        return "sim"                 # the unix port: what the virtual board runs
    return platform or "unknown"
