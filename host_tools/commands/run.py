"""`mpk run FILE`: run a local Python file on the board, its output shown as it comes."""
from host_tools import terminal
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--timeout", type=float, default=None,
                   help="stop waiting for output after this many silent seconds (default: wait until it ends)")


def run(args):
    return terminal.run_file(args.port, args.file, args.timeout)
