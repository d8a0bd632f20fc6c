"""`mpk build`: compile kernel/ servers/ boards/ hal/ firmware/ to .mpy into build/<board>/."""
from host_tools import build as build_mod


def arguments(p):
    p.add_argument("--board", default=None,
                   help="board definition to build for (default: %s); sets the native arch" % build_mod.DEFAULT_BOARD)
    p.add_argument("--arch", default=None, help="override the native architecture (mpy-cross -march)")
    p.add_argument("--root", default=None, help="project root (default: this checkout)")


def run(args):
    build_mod.build(board=args.board, arch=args.arch, log=print, root=args.root or build_mod.PROJECT_ROOT)
    return 0
