"""`make bench`: every benchmark of the project, one table, and bench/results.json.

Sections: the kernel on the MicroPython unix port; the servers on the virtual board;
mpk deploy against mpremote on virtual boards; the kernel, heap and deploy on the official
firmware on an emulated RP2040. Each section measures its ratios within
one run on this machine, so the goals hold whatever the machine's speed.
"""
import json
import os
import platform
import sys
import time

from rich.console import Console
from rich.markup import escape
from rich.table import Table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _kernel():
    from bench import kernel_bench

    return kernel_bench.rows()


def _servers():
    from bench import servers_bench

    return [dict(name=name, value=value, unit=unit, goal=note, ok=None)
            for name, value, unit, note in servers_bench.run()]


def _emulated():
    from bench import emulated_bench

    return emulated_bench.rows()


def _deploy():
    from bench import deploy_bench

    return [dict(name=r["name"], value=r["seconds"], unit="s", goal=r["goal"], ok=r["ok"])
            for r in deploy_bench.rows()]


def _live():
    from bench import live_bench

    return [dict(name=r["name"], value=r["seconds"], unit="s", goal=r["goal"], ok=r["ok"])
            for r in live_bench.rows()]


SECTIONS = (
    ("kernel (MicroPython unix port)", _kernel),
    ("servers (virtual board)", _servers),
    ("deploy (virtual boards)", _deploy),
    ("live update of one server (mpk deploy --live)", _live),
    ("emulated RP2040 (official firmware; us of emulated time)", _emulated),
)


def _fmt(v):
    if isinstance(v, float):
        return "%.3f" % v if v < 100 else "%.0f" % v
    return str(v)


def _console():
    # Wide enough for the goal column when output goes to a file or a CI log.
    return Console() if sys.stdout.isatty() else Console(width=130)


def print_table(title, rows, console=None):
    console = console or _console()
    table = Table(title=title, title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("goal / note")
    table.add_column("")
    for r in rows:
        mark = "" if r["ok"] is None else ("[green]ok[/green]" if r["ok"] else "[red]MISSED[/red]")
        table.add_row(escape(r["name"]), _fmt(r["value"]), r["unit"], escape(r["goal"]), mark)
    console.print(table)


def main(argv=None):
    only = set(argv or sys.argv[1:])
    console = _console()
    results = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.machine(),
               "python": platform.python_version(), "sections": {}}
    failed = False
    for title, fn in SECTIONS:
        if only and not any(o in title for o in only):
            continue
        try:
            rows = fn()
        except Exception as e:          # one broken section must not hide the others
            console.print("[red]%s: %s[/red]" % (title, e))
            failed = True
            continue
        print_table(title, rows, console)
        results["sections"][title] = rows
    path = os.path.join(ROOT, "bench", "results.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    console.print("results written to %s" % os.path.relpath(path))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
