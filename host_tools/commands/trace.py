"""`mpk trace`: the kernel's recent trace (messages, faults, restarts)."""
from host_tools import views
from host_tools.commands import follow_options, inspect_options


def arguments(p):
    inspect_options(p)
    follow_options(p)
    p.add_argument("--all", action="store_true", help="also the console server's own work (answering mpk itself)")


def run(args):
    return views.stream("trace", args.port, args.via, args.json, args.follow, args.interval, args.iterations,
                        everything=args.all)
