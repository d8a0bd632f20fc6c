"""`mpk console`: the running firmware's shell, beside the running system."""
from host_tools import terminal
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)


def run(args):
    return terminal.console(args.port)
