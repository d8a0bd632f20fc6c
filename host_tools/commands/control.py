"""`mpk fault/hold/release/restart/faults`: act on one task of the running system through its
console server (Hubris's jefe holds and faults tasks; MINIX has `service`). The console
does each act with its own rights: the kernel checks them (inject is privileged) and the
supervisor does the holding and restarting."""
import ast
import json

from host_tools.link import add_port_argument
from host_tools.errors import MpkError
from host_tools.live import LiveSession, _inspect

KINDS = ("exception", "memory", "hang")


def register(sub):
    p = sub.add_parser("fault", help="make a task fail on purpose: exception, memory or hang")
    add_port_argument(p)
    p.add_argument("task", help="task name or tid")
    p.add_argument("--kind", choices=KINDS, default="exception",
                   help="exception: InjectedFault where it stands; memory: MemoryError; "
                        "hang: it stops until the supervisor's pings find it (default: exception)")
    p.set_defaults(func=cmd_fault)
    for verb, helptext in (("hold", "the supervisor does not restart the task when it ends"),
                           ("release", "the supervisor restarts the task again (now, if it has ended)"),
                           ("restart", "restart a task through its supervisor")):
        p = sub.add_parser(verb, help=helptext)
        add_port_argument(p)
        p.add_argument("task", help="task name, as in the system image")
        p.set_defaults(func=cmd_supervisor, verb=verb)
    p = sub.add_parser("faults", help="this boot's faults, and the post-mortem of earlier boots")
    add_port_argument(p)
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=cmd_faults)


def cmd_fault(args):
    with LiveSession(args.port, "auto") as s:
        r = s.command("inject", {"task": args.task, "kind": args.kind})
    print("injected %s into %s (tid %s)" % (r["kind"], r["name"], r["tid"]))
    return 0


def cmd_supervisor(args):
    with LiveSession(args.port, "auto") as s:
        r = s.command("call", {"to": "supervisor", "msg": repr((args.verb, args.task))})
    try:
        r = ast.literal_eval(r)
    except (ValueError, SyntaxError):
        pass
    if isinstance(r, tuple) and len(r) == 3 and r[0] == "err":
        raise MpkError("supervisor: %s: %s" % (r[1], r[2]))
    if args.verb == "restart":
        print("restarted %s as tid %s" % (args.task, r))
    else:
        print("%s %s" % (args.task, "held: not restarted when it ends" if args.verb == "hold"
                         else "released: restarted by its supervisor again"))
    return 0


def cmd_faults(args):
    with LiveSession(args.port, "auto") as s:
        r = s.command("faults")
    if args.json:
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
