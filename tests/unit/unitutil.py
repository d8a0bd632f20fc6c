# Helpers for unit tests that run unchanged under CPython (pytest) and the MicroPython
# unix port (tests/unit/mp_runner.py): plain functions, no pytest features.
import sys

MICROPYTHON = sys.implementation.name == "micropython"


def raises(exc_type, fn, *args, **kw):
    # Call fn and return the exception it raised; fail if it raised nothing or another type.
    try:
        fn(*args, **kw)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised" % exc_type.__name__)


def run_tasks(k, *fns):
    # Spawn each generator function on k, run to completion, return k.run()'s result.
    for fn in fns:
        k.spawn(fn)
    return k.run()
