# (A host test: it reads the sources, and MicroPython keeps no private consts to compare.)
# The kernel's parts each write the TCB fields and states they use as private consts of
# their own (MicroPython folds those only within a module): they must all agree with
# kernel/tcb.py, and none may use a field it does not define.
import re

from kernel import faults, inspect, ipc, irq, resources, rights, sched, tcb, timers

PARTS = (faults, inspect, ipc, irq, resources, rights, sched, timers)


def test_every_part_agrees_with_the_layout():
    checked = 0
    for mod in PARTS:
        for name, value in vars(mod).items():
            public = name[1:]
            if name.startswith("_") and not name.startswith("__") and hasattr(tcb, public) \
                    and type(getattr(tcb, public)) is int:
                assert value == getattr(tcb, public), (mod.__name__, name, value, getattr(tcb, public))
                checked += 1
    assert checked > 60, checked


def test_every_private_name_a_part_uses_is_defined_there():
    for mod in PARTS:
        src = open(mod.__file__).read()
        used = set(re.findall(r"(?<![.\w])(_[A-Z][A-Z0-9_]*)\b", src))
        missing = sorted(n for n in used if not hasattr(mod, n))
        assert not missing, (mod.__name__, missing)
