"""firmware/wire.py is the one definition of what both sides of the serial line share.
boot.py alone writes the layout out (it runs before any tree is on sys.path): it must
say the same."""
import ast
from pathlib import Path

from host_tools import console_protocol as cp, deploy_plan
from host_tools.device_code import load

ROOT = Path(__file__).resolve().parents[2]


def _boot_constants():
    tree = ast.parse((ROOT / "firmware" / "boot.py").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for t in node.targets:
                out[t.id] = node.value.value
    return out, tree


def test_boot_py_uses_the_wire_layout():
    wire = load("firmware.wire")
    consts, tree = _boot_constants()
    assert consts["D"] == wire.SLOT_DIR
    assert wire.ACTIVE == wire.SLOT_DIR + "active"
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert "active" in strings and "active.new" in strings
    tuples = [tuple(e.value for e in n.elts) for n in ast.walk(tree) if isinstance(n, ast.Tuple)
              and all(isinstance(e, ast.Constant) for e in n.elts)]
    assert wire.TREES in tuples
    assert "/" + wire.MARKS[0] in strings      # a complete tree is one with .built


def test_host_and_board_read_the_same_definitions():
    wire = load("firmware.wire")
    from servers import console

    assert cp.PREFIX == console.PREFIX == wire.CONSOLE_PREFIX
    assert cp.PROTOCOL == console.JSON_PROTOCOL == wire.CONSOLE_PROTOCOL
    assert deploy_plan.SLOT_DIR == wire.SLOT_DIR and deploy_plan.MARKS == wire.MARKS


def test_the_virtual_boards_exit_codes_are_one_definition():
    from host_tools.sim import child

    src = (ROOT / "host_tools" / "sim" / "board" / "simcore.py").read_text()
    assert "EXIT_SOFT = " not in src and "from simexit import" in src
    assert (child.EXIT_SOFT, child.EXIT_HARD, child.EXIT_BOOTLOADER, child.EXIT_FATAL) == (64, 65, 66, 67)
