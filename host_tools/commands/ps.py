"""`mpk ps`: the tasks of the running system."""
from host_tools import views
from host_tools.commands import inspect_options


def arguments(p):
    inspect_options(p)


def run(args):
    return views.ps(args.port, args.via, args.json)
