"""`mpk ps/trace/top/log`: look into the running system without stopping it."""
import json
import sys
import time

from host_tools.link import add_port_argument
from host_tools.live import LiveSession, format_event, format_table, rich_table


def _common(p):
    add_port_argument(p)
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.add_argument("--via", choices=["auto", "server", "repl"], default="auto",
                   help="console server (JSON mode), or stop-read-resume through the REPL (default: auto)")


def register(sub):
    p = sub.add_parser("ps", help="tasks of the running system: state, mailbox, CPU, memory")
    _common(p)
    p.set_defaults(func=cmd_ps)

    p = sub.add_parser("top", help="a live, refreshing task table (q or Ctrl-C to leave)")
    _common(p)
    p.add_argument("--interval", "-n", type=float, default=1.0, help="seconds between refreshes")
    p.add_argument("--iterations", type=int, default=0, help="stop after this many refreshes (0: never)")
    p.set_defaults(func=cmd_top)

    for name, helptext in (("trace", "recent kernel trace: messages, faults, restarts"),
                           ("log", "the system's log records")):
        p = sub.add_parser(name, help=helptext)
        _common(p)
        p.add_argument("-f", "--follow", action="store_true", help="keep printing new entries")
        p.add_argument("--interval", type=float, default=0.5, help="poll interval with --follow")
        p.add_argument("--iterations", type=int, default=0, help="with --follow: stop after this many polls")
        if name == "trace":
            p.add_argument("--all", action="store_true",
                           help="also the console server's own work (answering mpk itself)")
        p.set_defaults(func=cmd_stream, what=name)


def cmd_ps(args):
    with LiveSession(args.port, args.via) as s:
        tasks = s.query("ps")
    if args.json:
        print(json.dumps(tasks))
    else:
        print(format_table(tasks))
    return 0


def cmd_top(args):
    n = 0
    with LiveSession(args.port, args.via) as s:
        live = None
        if not args.json and sys.stdout.isatty():
            from rich.live import Live

            live = Live(auto_refresh=False)
            live.start()
        try:
            while True:
                t0 = time.monotonic()
                snap = s.query("top")
                tasks = snap.get("tasks", [])
                n += 1
                if args.json:
                    print(json.dumps({"t": round(time.time(), 3), "tasks": tasks, "stats": snap.get("stats")}),
                          flush=True)
                elif live:
                    live.update(rich_table(tasks, title="mpk top  %s  (via %s)  %s" % (
                        s.port, s.via, time.strftime("%H:%M:%S"))), refresh=True)
                else:
                    print("--- %s  %d tasks" % (time.strftime("%H:%M:%S"), len(tasks)))
                    print(format_table(tasks), flush=True)
                if args.iterations and n >= args.iterations:
                    break
                time.sleep(max(0.0, args.interval - (time.monotonic() - t0)))
        except KeyboardInterrupt:
            pass
        finally:
            if live:
                live.stop()
    return 0


def cmd_stream(args):
    since = None
    polls = 0
    with LiveSession(args.port, args.via) as s:
        try:
            while True:
                items = s.query(args.what, since=since, everything=getattr(args, "all", False))
                polls += 1
                for e in items:
                    print(json.dumps(e) if args.json else format_event(e), flush=True)
                    if isinstance(e, dict) and isinstance(e.get("seq"), int):
                        since = max(since or 0, e["seq"])
                if not args.follow or (args.iterations and polls >= args.iterations):
                    break
                time.sleep(args.interval)
        except KeyboardInterrupt:
            pass
    return 0
