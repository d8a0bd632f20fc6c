# At the REPL, after Ctrl-C stopped the system (every task kept): ps(), trace(n),
# faults() look at it, resume() runs it on. The main.py stub puts these names in the
# REPL; elsewhere `from firmware.repl import *`. They read the stopped kernel directly
# (kernel.running_kernel()), which only the REPL may do: tasks use system calls.
import kernel
from servers.lib.inspect_format import ps_head, ps_line, ps_record, trace_line, trace_record


def _k():
    k = kernel.running_kernel()
    if k is None:
        raise RuntimeError("no kernel has run yet")
    return k


def _restarts(name):
    import sys

    sup = sys.modules.get("servers.supervisor")
    for c in (sup.last.children if sup and sup.last else ()):
        if c.name == name:
            return c.restarts
    return None


def ps():
    # The task table, a line at a time: the layout of `mpk ps`.
    print(ps_head())
    for info in _k().iter_info(True):
        print(ps_line(ps_record(info, _restarts(info["name"]))))


def trace(n=20):
    evs = _k().named_trace(n)
    for e in evs:
        print(trace_line(trace_record(e)))
    if not evs:
        print("(no events)")


def faults():
    fs = _k().faults()
    for f in fs:
        print("%s (tid %d): %s %s\n%s" % (f["name"], f["tid"], f["type"], f["text"], f["traceback"].rstrip()))
    if not fs:
        print("(no faults)")


def snapshot(prefix):
    # What `mpk ps/top/trace --via repl` reads (host_tools/console_protocol.py): the
    # stopped kernel's tasks, stats, trace and faults as one reply line, prefix + JSON,
    # in the console server's records, written a record at a time: no string as long as
    # the whole snapshot is ever made.
    import json

    k = kernel.running_kernel()
    if k is None:
        print(prefix + json.dumps({"ok": False, "error": "no-kernel"}))
        return

    def _list(it):
        print("[", end="")
        sep = ""
        for x in it:
            print(sep + json.dumps(x), end="")
            sep = ", "
        print("]", end="")
    print(prefix + '{"ok": true, "data": {"tasks": ', end="")
    _list(ps_record(i, _restarts(i["name"]) or 0) for i in k.iter_info())
    print(', "stats": ' + json.dumps(k.stats()) + ', "trace": ', end="")
    _list(trace_record(e, n + 1) for n, e in enumerate(k.named_trace()))
    print(', "faults": ', end="")
    _list(k.faults())
    print("}}")


def resume():
    # Run the stopped system on (what Ctrl-C stopped); returns when it stops again.
    from firmware.main import run

    return run(_k())


__all__ = ["ps", "trace", "faults", "resume"]
