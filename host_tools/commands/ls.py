"""`mpk ls [PATH]`: list files on the board."""
from host_tools import board_files
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("path", nargs="?", default="/")
    p.add_argument("-r", "--recursive", action="store_true")


def run(args):
    return board_files.ls(args.port, args.path, args.recursive)
