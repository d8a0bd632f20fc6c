"""`mpk repl`: the board's Python REPL; a running system is stopped, its state kept."""
from host_tools import terminal
from host_tools.link import add_port_argument

DESCRIPTION = ("The Python REPL of the board. A running system is stopped first (Ctrl-C: "
               "every task is kept, ps() shows them, the watchdog is fed meanwhile); "
               "when you leave it stays stopped, or with --resume runs on. The firmware's own "
               "shell (ps, log, trace, ... while the system runs) is `mpk console`.")


def arguments(p):
    add_port_argument(p)
    p.add_argument("--resume", action="store_true", help="resume the stopped system when leaving the REPL")


def run(args):
    return terminal.repl(args.port, args.resume)
