"""`mpk log`: the system's log records."""
from host_tools import views
from host_tools.commands import follow_options, inspect_options


def arguments(p):
    inspect_options(p)
    follow_options(p)


def run(args):
    return views.stream("log", args.port, args.via, args.json, args.follow, args.interval, args.iterations)
