"""`mpk faults`: this boot's faults, and the post-mortem of earlier boots."""
from host_tools import task_control
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("--json", action="store_true", help="JSON for scripts")


def run(args):
    return task_control.faults(args.port, args.json)
