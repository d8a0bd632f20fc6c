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

from host_tools.board_conn import add_port_argument, open_board, BoardExecError
from host_tools.errors import MpkError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = ("__init__.py", "rng.py", "hostile.py", "load.py", "inject.py", "campaign.py")
DIR = "/chaos"


def register(sub):
    p = sub.add_parser("chaos", help="run the fault-injection campaign on a board")
    add_port_argument(p)
    p.add_argument("--seconds", type=int, default=60, help="how long (default 60)")
    p.add_argument("--faults", type=int, default=10 ** 9, help="stop after this many faults")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="the result as JSON")
    p.set_defaults(func=cmd_chaos)


RUN = """\
import sys
if '/' not in sys.path:
    sys.path.append('/')
from chaos import campaign
campaign.main(['campaign', %(seed)d, %(faults)d, %(seconds)d, '-', %(root)r, '-', 'board'])
"""

CLEAN = """\
import os
def _rm(p):
    try:
        if os.stat(p)[0] & 0x4000:
            for n in os.listdir(p):
                _rm(p + '/' + n)
            os.rmdir(p)
        else:
            os.remove(p)
    except OSError:
        pass
_rm(%r)
"""


def _run_module():
    # chaos/run.py (the table, what counts as a failure) from the project beside us.
    from host_tools.build import PROJECT_ROOT

    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from chaos import run

    return run


def cmd_chaos(args):
    run = _run_module()

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
            b.exec("import os\ntry:\n os.mkdir(%r)\nexcept OSError:\n pass" % DIR)
            for name in FILES:
                with open(os.path.join(ROOT, "chaos", name), "rb") as f:
                    b.t.fs_writefile(DIR + "/" + name, f.read())
            for d in ("", "/data", "/log"):
                b.exec("import os\ntry:\n os.mkdir(%r)\nexcept OSError:\n pass" % (DIR + "-files" + d))
            code = RUN % {"seed": args.seed, "faults": args.faults, "seconds": args.seconds,
                          "root": DIR + "-files"}
            try:
                b.exec(code, timeout=args.seconds + 120, data_consumer=consume)
            except BoardExecError as e:
                raise MpkError("the campaign failed on the board: %s" % e.output.strip().splitlines()[-1])
        finally:
            try:
                b.enter_raw(soft_reset=True)    # a clean heap: the campaign's system let go
                b.exec(CLEAN % DIR + "\n_rm(%r)\n" % (DIR + "-files"), timeout=60)
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

        Console().print(run.table(total))
        for e in total["examples"][:10]:
            print("  " + e)
    bad = {k: total.get(k, 0) for k in run.BAD if total.get(k, 0)}
    if bad:
        print("chaos: FAILED: %s" % ", ".join("%s %d" % kv for kv in bad.items()), file=sys.stderr)
        return 1
    return 0
