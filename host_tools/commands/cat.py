"""`mpk cat PATH`: print a file from the board."""
from host_tools import board_files
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("path")


def run(args):
    return board_files.cat(args.port, args.path)
