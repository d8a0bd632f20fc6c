"""`mpk top`: a live, refreshing task table."""
from host_tools import views
from host_tools.commands import inspect_options


def arguments(p):
    inspect_options(p)
    p.add_argument("--interval", "-n", type=float, default=1.0, help="seconds between refreshes")
    p.add_argument("--iterations", type=int, default=0, help="stop after this many refreshes (0: never)")


def run(args):
    return views.top(args.port, args.via, args.json, args.interval, args.iterations)
