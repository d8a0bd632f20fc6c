"""Entry point of the `mpk` command: parses arguments, dispatches, turns failures into one line."""
import argparse
import importlib
import sys

from host_tools.errors import MpkError
from host_tools.commands import COMMAND_MODULES


def build_parser():
    parser = argparse.ArgumentParser(
        prog="mpk",
        description="Flash, deploy, inspect and test MicroPython microkernel boards (real or virtual).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module("host_tools.commands." + name).register(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except MpkError as e:
        print(f"mpk: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("mpk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
