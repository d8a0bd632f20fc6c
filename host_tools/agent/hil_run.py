# Board side of one mpk hil test run (host_tools/hil/session.py): the test function
# called; on failure the kernel's last trace lines and faults printed (after a
# \x1ehil-trace line) before the exception goes on. Kept small: it is sent with every test.
import sys


def _on_path(d):
    if d not in sys.path:
        sys.path.append(d)


def run_test(d, mod, name):
    # Run one test function; on failure the kernel's last trace lines and faults are
    # printed (after a \x1ehil-trace line) before the exception goes on.
    _on_path(d)
    try:
        import boards
        import hal

        hal.wdt_keep(boards.current())   # a watchdog left running by the firmware stays fed
    except Exception:
        pass
    try:
        __import__(mod)
        getattr(sys.modules[mod], name)()
    except BaseException:
        try:
            h = sys.modules.get("hil")
            k = h and h.kernel()
            if k is not None:
                from servers.lib.inspect_format import trace_line, trace_record

                print("\x1ehil-trace")
                for e in k.named_trace(12):
                    print(trace_line(trace_record(e)))
                for f in k.faults()[-3:]:
                    print("fault: %s %s %s" % (f["name"], f["type"], f["text"]))
        except Exception:
            pass
        raise
    print("\x1ehil-ok")
