"""`mpk reset`: soft-reset the board (boot.py and main.py run again); --hard reboots it."""
from host_tools import terminal
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("--hard", action="store_true", help="machine.reset(): a full reboot")


def run(args):
    return terminal.reset(args.port, args.hard)
