"""mpk's commands: the one table, and one module per command (host_tools/commands/<name>.py).

A command module defines `arguments(parser)` (its options), `run(args)` (a call into the
module that does the work; returns the exit code) and may define DESCRIPTION (its long
help). The table gives each command's one-line help and the order of `mpk --help`, so
`mpk X` imports host_tools.commands.X and nothing of the other commands.
"""

COMMANDS = {
    "sim": "start a virtual board (MicroPython on a pseudo-terminal)",
    "devices": "list boards: USB serial ports of known boards and running virtual boards",
    "flash": "flash MicroPython: a .uf2 onto a Pico in BOOTSEL mode, a .bin onto an ESP32",
    "build": "compile the firmware to .mpy (build/<board>/, with a manifest of hashes)",
    "deploy": "build, send only the changed files, switch to the new tree atomically",
    "run": "run a local Python file on the board, showing its output",
    "repl": "the board's Python REPL (>>>); a running system is stopped, state kept (Ctrl-] or Ctrl-X leaves)",
    "console": "the running firmware's shell (mpk> ps, log, trace, ...), beside the running system "
               "(Ctrl-] or Ctrl-X leaves)",
    "reset": "soft-reset the board (boot.py and main.py run again); --hard reboots it",
    "ls": "list files on the board",
    "cat": "print a file from the board",
    "rm": "remove files or (with -r) directories on the board",
    "ps": "tasks of the running system: state, mailbox, CPU, memory",
    "top": "a live, refreshing task table (q or Ctrl-C to leave)",
    "trace": "recent kernel trace: messages, faults, restarts",
    "log": "the system's log records",
    "fault": "make a task fail on purpose: exception, memory or hang",
    "hold": "the supervisor does not restart the task when it ends",
    "release": "the supervisor restarts the task again (now, if it has ended)",
    "restart": "restart a task through its supervisor",
    "faults": "this boot's faults, and the post-mortem of earlier boots",
    "chaos": "run the fault-injection campaign on a board",
    "hil": "run the on-device HIL tests on boards (pytest; JUnit XML for CI)",
    "rig": "a rack on several hosts (labgrid): this host's boards as an exporter config, the places",
}


# Options several commands share.
def inspect_options(p):
    from host_tools.link import add_port_argument

    add_port_argument(p)
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.add_argument("--via", choices=["auto", "server", "repl"], default="auto",
                   help="console server (JSON mode), or stop-read-resume through the REPL (default: auto)")


def follow_options(p):
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new entries")
    p.add_argument("--interval", type=float, default=0.5, help="poll interval with --follow")
    p.add_argument("--iterations", type=int, default=0, help="with --follow: stop after this many polls")
