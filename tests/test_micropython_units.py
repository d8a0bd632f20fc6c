"""Runs every tests/unit module on the MicroPython unix port, one pytest test per test
function, so `make test` proves the on-device code on real MicroPython, not only CPython."""
import ast
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNIT = os.path.join(ROOT, "tests", "unit")


def micropython():
    exe = os.path.join(os.path.dirname(sys.executable), "micropython")
    return exe if os.path.exists(exe) else shutil.which("micropython")


def unit_tests():
    for fn in sorted(os.listdir(UNIT)):
        if fn.startswith("test_") and fn.endswith(".py"):
            with open(os.path.join(UNIT, fn)) as f:
                tree = ast.parse(f.read())
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                    yield fn[:-3], node.name


_results = {}
MODULE_TIMEOUT_S = 120


def module_results(module):
    # One MicroPython process per module; its per-test outcomes are cached.
    if module not in _results:
        env = dict(os.environ, MICROPYPATH=os.pathsep.join([ROOT, UNIT, ".frozen"]))
        proc = subprocess.Popen([micropython(), os.path.join(UNIT, "mp_runner.py"), module],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
        try:
            stdout, _ = proc.communicate(timeout=MODULE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, _ = proc.communicate()
            stdout += "\n(module timed out after %d s)" % MODULE_TIMEOUT_S
        outcomes = {}
        current = None
        for line in stdout.splitlines():
            if line.startswith(("PASS ", "FAIL ")):
                current = line[5:].split(".", 1)[1]
                outcomes[current] = [line[:4], []]
            elif line == "END":
                current = None
            elif current is not None:
                outcomes[current][1].append(line)
        _results[module] = (outcomes, stdout)
    return _results[module]


@pytest.mark.skipif(micropython() is None, reason="no MicroPython unix port installed")
@pytest.mark.parametrize("module,test", list(unit_tests()), ids=lambda v: v)
def test_on_micropython(module, test):
    outcomes, output = module_results(module)
    if test not in outcomes:
        pytest.fail("%s.%s did not run on MicroPython:\n%s" % (module, test, output[-3000:]))
    status, lines = outcomes[test]
    assert status == "PASS", "\n".join(lines)
