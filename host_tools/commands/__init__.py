"""One module per `mpk` subcommand group.

Each module exposes `register(subparsers)`, which adds its subcommands and sets
`func` on each parser to a callable taking the parsed args and returning an exit code.
"""

# Listed here so `mpk --help` shows them in this order.
COMMAND_MODULES = [
    "sim",
    "devices",
    "flash",
    "build",
    "deploy",
    "board",
    "inspect",
    "hil",
]
