"""`mpk chaos`: the fault-injection campaign on a board (make chaos runs it on the unix port).

The board's firmware is stopped (soft reset into the raw REPL: a clean heap), chaos/ is
copied to /chaos on the board, and chaos/campaign.py runs there against the board's own
machine, on the firmware tree the board has deployed: every fault class but bus errors
(the fake machine's), no watchdog server (a real WDT cannot be stopped again), and the
verified load the board's wiring and devices allow. Progress lines stream as it runs; at
the end /chaos is removed, the firmware starts again, and the table is printed. Exits 1 if
the campaign saw a kernel death, a hang, a lost call, a wrong reply or a crash by input.
"""
import json
import os
import sys

from host_tools import agent, transfer
from host_tools.link import add_port_argument, open_board, BoardExecError
from host_tools.errors import MpkError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = ("__init__.py", "rng.py", "hostile.py", "load.py", "inject.py", "campaign.py")
DIR = "/chaos"


def arguments(p):
    add_port_argument(p)
    p.add_argument("--seconds", type=int, default=60, help="how long (default 60)")
    p.add_argument("--faults", type=int, default=10 ** 9, help="stop after this many faults")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="the result as JSON")


def _run_module():
    # chaos/run.py (the table, what counts as a failure) from the project beside us.
    from host_tools.build import PROJECT_ROOT

    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from chaos import run

    return run


def run(args):
    table = _run_module()

    result = {}
    buf = bytearray()

    def consume(data):
        buf.extend(data)
        while b"\n" in buf:
            i = buf.index(b"\n")
            line = bytes(buf[:i]).decode("utf-8", "replace").strip()
            del buf[: i + 1]
            if line.startswith("chaos-result: "):
                result.update(json.loads(line[len("chaos-result: "):]))
            elif line.startswith("chaos: ") and not args.json:
                r = json.loads(line[len("chaos: "):])
                print("chaos: %d faults, %d verified answers, %.0f s" % (
                    r.get("total", 0), r.get("verified", 0), r.get("seconds", 0)), flush=True)

    with open_board(args.port, raw=True, soft_reset=True) as b:
        try:
            b.exec(agent.call("files", "mkdirs(%r)" % ([DIR] + [DIR + "-files" + d for d in ("", "/data", "/log")],)))
            transfer.send_files(b, [(os.path.join(ROOT, "chaos", name), DIR + "/" + name) for name in FILES])
            code = agent.call("chaos_run", "run_campaign(%d, %d, %d, %r)" % (
                args.seed, args.faults, args.seconds, DIR + "-files"))
            try:
                b.exec(code, timeout=args.seconds + 120, data_consumer=consume)
            except BoardExecError as e:
                raise MpkError("the campaign failed on the board: %s" % e.output.strip().splitlines()[-1])
        finally:
            try:
                b.enter_raw(soft_reset=True)    # a clean heap: the campaign's system let go
                b.exec(agent.call("files", "rm_quietly(%r)" % ([DIR, DIR + "-files"],)), timeout=60)
            finally:
                b.soft_reset()                  # the firmware starts again
    if not result:
        raise MpkError("the campaign on the board ended without a result")
    total = {"faults": result.get("faults", {}), "examples": result.get("examples", []),
             "total": result.get("total", 0), "wall_s": result.get("seconds", 0),
             "rate": result.get("rate", 0), "segments": 1}
    for k, v in result.items():
        if k not in total and isinstance(v, int):
            total[k] = v
    if args.json:
        print(json.dumps(total))
    else:
        from rich.console import Console

        Console().print(table.table(total))
        for e in total["examples"][:10]:
            print("  " + e)
    bad = {k: total.get(k, 0) for k in table.BAD if total.get(k, 0)}
    if bad:
        print("chaos: FAILED: %s" % ", ".join("%s %d" % kv for kv in bad.items()), file=sys.stderr)
        return 1
    return 0
