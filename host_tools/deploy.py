"""`mpk deploy`: send only what changed, into the idle tree, then switch in one rename.

One round trip reads everything about the board (bytecode version, free flash, the
active tree, both trees' files, and the hash of every file of the running tree and of
/boot.py, /main.py). When something is to be written, a second one hashes the idle
tree. The plan fills the *idle* tree (see firmware/boot.py for the layout): files already
right there are skipped, files right in the running tree are copied on the board,
the rest is sent (streamed to a receiver on the board, host_tools/transfer.py), stale
files are removed. The written files are checked against the hashes the board computed
as it wrote them, `.built` marks the tree complete, and one rename
of /mpk/active.new onto /mpk/active switches to it, on trial. Nothing the running
tree uses is touched before that rename, so a board that resets or vanishes
mid-deploy still boots the previous firmware. The plan itself is
host_tools/deploy_plan.py (pure data); the writing is host_tools/deploy_write.py, which
a no-change deploy never imports.
"""
import time

from host_tools import board_defs, build as build_mod
from host_tools.deploy_plan import (HASH_LEN, MARKS, SLOT_DIR, check_space, hash_trees, parse_scan,  # noqa: F401
                                    plan, scan_code, summary as _summary, human as _human)
from host_tools.link import BoardExecError, BoardGone, select_port
from host_tools.mpy_arch import decode_mpy
from host_tools.errors import MpkError

def board_name_from_info(platform, machine):
    """The board's name (its module in boards/: "sim" for the virtual board) from
    sys.platform and os.uname().machine."""
    return board_defs.from_uname(platform, machine)


def _quick_scan(port, trust=True):
    """Stop the board and read it in one round trip over the light client.

    Returns (open QuickRepl in the raw REPL, scan), or (None, None) when the slower,
    sturdier path should read the board instead (no answer in time, no heap left for
    the scan): that path soft-resets if needed and reports errors in its own words.
    """
    from host_tools.link import QuickRepl

    q = QuickRepl(port)
    try:
        q.enter_raw()
        return q, parse_scan(q.exec(scan_code(hash_idle=False, trust=trust), timeout=60))
    except (BoardExecError, BoardGone) as e:
        q.close()
        return None, None
    except BaseException:
        q.close()
        raise


def _let_run(q, scan, reset):
    """After a deploy that wrote nothing: let the board run its firmware again.

    The scan stopped it with Ctrl-C, which keeps the kernel and every task as they
    were; if a kernel was running, it is resumed (RESUME_CODE at the REPL, as
    `mpk ps` does), else the board is soft-reset, which starts the firmware.
    Returns "resumed", "reset" or "stopped" (reset=False: left at the REPL).
    """
    from host_tools.console_protocol import RESUME_CODE

    if not reset:
        return "stopped"
    if scan and scan.get("kernel"):
        try:
            q.resume(RESUME_CODE)
            return "resumed"
        except BoardGone:
            # The REPL did not take the resume line (it answered late, mid-boot): a soft
            # reset starts the same firmware afresh, which is what the user asked for.
            pass
    q.soft_reset()
    return "reset"


def _build_and_plan(scan, board_name, root, log):
    mpy_ver, mpy_sub, arch = decode_mpy(scan.get("mpy"))
    name = board_name or board_name_from_info(scan.get("platform"), scan.get("machine"))
    manifest = build_mod.build(
        board=name, arch=arch or build_mod.arch_for_board(name, root),
        mpy_version="%s.%s" % (mpy_ver, mpy_sub) if mpy_ver is not None else None, root=root)
    p = plan(manifest, scan)
    if not scan.get("hash"):
        log("note: the board has no hashlib: every file is sent")
    return name, manifest, p


def deploy(port=None, board_name=None, root=build_mod.PROJECT_ROOT, log=print, progress=True,
           reset=True, discover=None, _hook=None, wait_s=0, verify=False, live=False, grace_s=3.0):
    """Deploy and return a summary dict. `_hook(stage, board)` lets tests interrupt at a stage.
    live: replace only the changed servers on the running system (host_tools/deploy_live.py),
    waiting grace_s for the new incarnations to prove themselves.

    The board is read first, in one round trip (host_tools/link.py: Ctrl-C, raw
    REPL, the scan). Nothing to change: the stopped system is resumed as it was (or
    soft-reset when no kernel was running) and the deploy ends there. Otherwise the
    board is soft-reset into the raw REPL (a clean heap) through mpremote's transport
    and the plan is applied. With wait_s, a deploy that switched waits (up to wait_s)
    until the new firmware is up and raises MpkError if boot.py rolled it back. verify:
    hash every file on the board, not trusting the hashes a completed tree keeps (.sums).
    """
    t0 = time.monotonic()
    hook = _hook or (lambda stage, board: None)
    note = log or (lambda *a: None)
    port = select_port(port, discover)
    summary, planned = {}, None
    q, scan = _quick_scan(port, trust=not verify)
    if live:
        if q is None:
            raise MpkError("the board on %s did not answer the deploy's read: a live update needs its "
                           "system running; run `mpk deploy`" % port)
        from host_tools.deploy_live import deploy_live

        summary = deploy_live(q, scan, port, lambda s: _build_and_plan(s, board_name, root, note),
                              progress, grace_s, hook)
        summary["seconds"] = time.monotonic() - t0
        if log:
            log(format_summary(summary))
        return summary
    if q is not None:
        with q:
            try:
                planned = name, manifest, p = _build_and_plan(scan, board_name, root, note)
                summary = _summary(port, name, manifest, p)
                if p["up_to_date"]:
                    summary["up_to_date"] = True
                    summary["after"] = _let_run(q, scan, reset)
                else:
                    if scan.get("unhashed"):
                        # Something is to be written: the idle tree's hashes say what is
                        # there already (skipped) and what the running tree has (copied).
                        # They are read after the soft reset that writing needs anyway.
                        planned = name, manifest, None, scan
                    else:
                        check_space(p)
            except BoardGone as e:
                raise MpkError("%s; nothing was written: the board still boots its previous firmware" % e) from None
            except BaseException:
                # Nothing was written: leave the board as it was found, running.
                try:
                    _let_run(q, scan, reset)
                except MpkError:
                    pass
                raise
    if not summary.get("up_to_date"):
        from host_tools.deploy_write import deploy_changes

        summary = deploy_changes(port, lambda scan: _build_and_plan(scan, board_name, root, note), progress,
                                 reset, hook, planned, wait_s, trust=not verify)
    summary["seconds"] = time.monotonic() - t0 - summary.get("up_s", 0)
    if log:
        log(format_summary(summary))
    return summary


def _after(s):
    if not s.get("switched"):
        return ""
    if "up_s" in s:
        return "; switched, up %.1f s later" % s["up_s"]
    return "; switched, soft reset"


def format_kept(s):
    return "".join("; your %s is kept as %s" % ("/" + f, k) for f, k in sorted(s.get("kept", {}).items()))


def format_summary(s):
    if s.get("live") and not s.get("up_to_date"):
        tasks = ", ".join("%s (tid %s -> %s)" % tuple(t) for t in s.get("tasks", []))
        return ("deploy --live: build %s to tree %s on %s: %d files sent (%s), %d copied on the board; "
                "replaced %s without a reset, and it ran %g s without a fault; every other task kept "
                "running; %.2f s" % (s["build_id"], s["tree"], s["port"], s["sent"], _human(s["bytes"]),
                                     s["copied"], tasks or "nothing", s.get("grace_s", 0), s["seconds"]))
    if s.get("up_to_date"):
        return "deploy: %s is up to date on %s (tree %s, build %s): 0 files sent, %d skipped, 0 B; %.2f s" % (
            s["board"], s["port"], s["tree"], s["build_id"], s["skipped"], s["seconds"])
    return ("deploy: build %s to tree %s on %s: %d files sent (%s), %d copied on the board, %d skipped, "
            "%d removed; %.2f s%s" % (
                s["build_id"], s["tree"], s["port"], s["sent"], _human(s["bytes"]), s["copied"], s["skipped"],
                s["removed"], s["seconds"], _after(s))) + format_kept(s)
