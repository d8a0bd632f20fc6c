"""`mpk deploy`: build if needed, send only what changed, switch atomically, soft-reset."""
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("--board", default=None, help="board definition (default: from what the board reports)")
    p.add_argument("--no-reset", action="store_true",
                   help="do not soft-reset (or, with nothing to change, resume) the board at the end")
    p.add_argument("--wait", type=float, default=30.0, metavar="S",
                   help="after switching, wait up to S seconds for the new firmware to come up "
                        "(its console answers); a rollback or no answer is an error (default 30; 0: "
                        "do not wait)")
    p.add_argument("--verify", action="store_true",
                   help="hash every file on the board, not trusting the hashes a tree keeps from the "
                        "deploy that wrote it (for a board whose /mpk files were changed by hand)")
    p.add_argument("--live", action="store_true",
                   help="replace only the servers whose code changed, on the running system, without a "
                        "reset (every other task keeps running); a new one that faults is rolled back")
    p.add_argument("--grace", type=float, default=3.0, metavar="S",
                   help="with --live: a new server that faults within S seconds is rolled back (default 3)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--root", default=None, help="project root (default: this checkout)")


def run(args):
    from host_tools import deploy as deploy_mod

    s = deploy_mod.deploy(port=args.port, board_name=args.board, reset=not args.no_reset, wait_s=args.wait,
                          log=None if args.json else print, root=args.root or deploy_mod.build_mod.PROJECT_ROOT,
                          verify=args.verify, live=args.live, grace_s=args.grace)
    if args.json:
        import json

        print(json.dumps(s))
    return 0
