"""`mpk rm [-r] PATH...`: remove files or directories on the board."""
from host_tools import board_files
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-r", "--recursive", action="store_true")


def run(args):
    return board_files.rm(args.port, args.paths, args.recursive)
