"""Entry point of the `mpk` command: parses arguments, dispatches, turns failures into one line."""
import argparse
import importlib
import sys

from host_tools.errors import MpkError
from host_tools.commands import COMMANDS


def _chosen_command(argv):
    """The subcommand named in argv (the first word that is not an option), or None."""
    for a in argv:
        if a == "--":
            return None
        if not a.startswith("-"):
            return a
    return None


def _columns():
    """The terminal's width, as shutil.get_terminal_size() gives it (without importing
    shutil, and with it zlib, bz2 and lzma: a few milliseconds of every `mpk` start)."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    """Every parser (subcommands' too) formats help with _HelpFormatter by default."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser(argv=None):
    """The parser, from the command table (host_tools/commands/__init__.py). Only the
    module of the command argv names is imported, all of them when argv is None (tests;
    start-up time: `mpk deploy` should not load the flash or HIL tooling)."""
    parser = _Parser(
        prog="mpk",
        description="Flash, deploy, inspect and test MicroPython microkernel boards (real or virtual).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = _chosen_command(argv) if argv is not None else None
    for name, helptext in COMMANDS.items():
        p = sub.add_parser(name, help=helptext)
        if argv is None or name == chosen:
            mod = importlib.import_module("host_tools.commands." + name)
            p.description = getattr(mod, "DESCRIPTION", None)
            mod.arguments(p)
            _board_alias(p)
            p.set_defaults(func=mod.run)
    return parser


def _board_alias(p):
    """`--board` is `--port` where a command has no --board of its own, so the board spec
    `mpk hil --board` takes (a port, labgrid:PLACE) is taken everywhere."""
    opts = p._option_string_actions
    if "--port" in opts and "--board" not in opts:
        p.add_argument("--board", dest="port", metavar="PORT|labgrid:PLACE", help="the same as --port")


def _run(args):
    """The command, holding the labgrid places its board specs name (host_tools/rack/) while it runs."""
    import os

    board = getattr(args, "board", None)
    specs = [getattr(args, "port", None), os.environ.get("MPK_PORT")] + (board if isinstance(board, list) else [board])
    held = None
    if any(isinstance(s, str) and "labgrid:" in s for s in specs):
        from host_tools.rack import lease

        held = lease.for_command(args)
    if held is None:
        return args.func(args) or 0
    with held:
        return args.func(args) or 0


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return _run(args)
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
