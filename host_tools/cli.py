"""Entry point of the `mpk` command: parses arguments, dispatches, turns failures into one line."""
import argparse
import importlib
import sys

from host_tools.errors import MpkError
from host_tools.commands import COMMAND_MODULES, COMMANDS


def _chosen_command(argv):
    """The subcommand named in argv (the first word that is not an option), or None."""
    for a in argv:
        if a == "--":
            return None
        if not a.startswith("-"):
            return a
    return None


def build_parser(argv=None):
    """The parser; given argv naming a known command, only that command's module is
    imported (start-up time: `mpk deploy` should not load the flash or HIL tooling)."""
    parser = argparse.ArgumentParser(
        prog="mpk",
        description="Flash, deploy, inspect and test MicroPython microkernel boards (real or virtual).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = COMMANDS.get(_chosen_command(argv)) if argv is not None else None
    for name in [chosen] if chosen else COMMAND_MODULES:
        importlib.import_module("host_tools.commands." + name).register(sub)
    return parser


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
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
