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
    "control",
    "chaos",
    "hil",
]

# Subcommand -> the module that registers it, so `mpk deploy` imports only
# host_tools.commands.deploy (and what that needs), not every command's modules.
# tests/host/test_mpk_cli.py checks this agrees with what the modules register.
COMMANDS = {
    "sim": "sim",
    "devices": "devices",
    "flash": "flash",
    "build": "build",
    "deploy": "deploy",
    "run": "board", "repl": "board", "console": "board", "reset": "board", "ls": "board", "cat": "board", "rm": "board",
    "ps": "inspect", "top": "inspect", "trace": "inspect", "log": "inspect",
    "fault": "control", "hold": "control", "release": "control", "restart": "control",
    "faults": "control", "chaos": "chaos",
    "hil": "hil",
}
