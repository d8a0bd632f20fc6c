"""Acting on one task of the running system (`mpk fault/hold/release/restart/faults`)
through its console server (Hubris's jefe holds and faults tasks; MINIX has `service`). The console
does each act with its own rights: the kernel checks them (inject is privileged) and the
supervisor does the holding and restarting."""
import ast
import json

from host_tools.errors import MpkError
from host_tools.live import LiveSession, _inspect

KINDS = ("exception", "memory", "hang")


def fault(port, task, kind="exception"):
    with LiveSession(port, "auto") as s:
        r = s.command("inject", {"task": task, "kind": kind})
    print("injected %s into %s (tid %s)" % (r["kind"], r["name"], r["tid"]))
    return 0


def supervise(port, verb, task):
    with LiveSession(port, "auto") as s:
        r = s.command("call", {"to": "supervisor", "msg": repr((verb, task))})
    try:
        r = ast.literal_eval(r)
    except (ValueError, SyntaxError):
        pass
    if isinstance(r, tuple) and len(r) == 3 and r[0] == "err":
        raise MpkError("supervisor: %s: %s" % (r[1], r[2]))
    if verb == "restart":
        print("restarted %s as tid %s" % (task, r))
    else:
        print("%s %s" % (task, "held: not restarted when it ends" if verb == "hold"
                         else "released: restarted by its supervisor again"))
    return 0


def faults(port=None, as_json=False):
    with LiveSession(port, "auto") as s:
        r = s.command("faults")
    if as_json:
        print(json.dumps(r))
        return 0
    now, before = r.get("now") or [], r.get("before") or []
    print("this boot: %s" % ("no faults" if not now else "%d fault(s), oldest first" % len(now)))
    for f in now:
        tb = [ln.strip() for ln in (f.get("traceback") or "").splitlines() if ln.strip()]
        print("  %s (tid %s): %s %s" % (f.get("name"), f.get("tid"), f.get("type"), f.get("text")))
        for ln in tb[-2:]:
            print("      " + ln)
    print("post-mortem (kept on the board's flash across resets): %s"
          % ("empty" if not before else "%d record(s), oldest first" % len(before)))
    for rec in before:
        print(_inspect().postmortem_line(rec))
    return 0
