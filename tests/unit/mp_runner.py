# Runs unit test modules on the MicroPython unix port: every `test_*` function of each
# module named on the command line. Prints one line per test ("PASS mod.test" or
# "FAIL mod.test" followed by the traceback, indented) and exits 1 if any failed.
# Used by tests/test_micropython_units.py inside `make test`.
import sys


def run_module(name):
    failed = 0
    try:
        mod = __import__(name)
    except Exception as e:
        print("FAIL %s.<import>" % name)
        sys.print_exception(e)
        return 1
    for attr in sorted(dir(mod)):
        if not attr.startswith("test_"):
            continue
        fn = getattr(mod, attr)
        if not callable(fn):
            continue
        try:
            fn()
            print("PASS %s.%s" % (name, attr))
        except Exception as e:
            failed += 1
            print("FAIL %s.%s" % (name, attr))
            sys.print_exception(e)
        print("END")
    return failed


def main(names):
    failed = 0
    for name in names:
        failed += run_module(name)
    sys.exit(1 if failed else 0)


main(sys.argv[1:])
