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
mid-deploy still boots the previous firmware. The writing itself is in
host_tools/deploy_write.py, which a no-change deploy never imports.
"""
import json
import re
import time

from host_tools import build as build_mod
from host_tools.link import BoardExecError, BoardGone, select_port
from host_tools.mpy_arch import decode_mpy
from host_tools.errors import MpkError

SLOT_DIR = "/mpk/"
HASH_LEN = 20  # hex chars of sha256 compared (80 bits)
# A complete tree's marks (host_tools/agent/seal.py): .built (its build id, what boot.py
# looks for) and .sums (its files' hashes and sizes, so the next read need not hash them).
MARKS = (".built", ".sums")
MARGIN_BLOCKS = 4

def scan_code(hash_idle=True, trust=True):
    """The read of the board (host_tools/agent/scan.py). hash_idle=False, the quick read:
    only the running tree (and /boot.py, /main.py) is hashed, which is all a no-change
    deploy needs; the idle tree is listed with '?' and hashed (hash_trees) only when
    something is to be written into it. trust=False (mpk deploy --verify): every file is
    hashed, whatever the trees' .sums say."""
    from host_tools import agent

    return agent.call("scan", "scan(%r, %d, %r, %r, %r)" % (
        SLOT_DIR, HASH_LEN, build_mod.ROOT_MARK.encode(), hash_idle, trust))


def board_name_from_info(platform, machine):
    m = (machine or "").lower()
    if "virtual" in m:
        return "virtual"
    if platform == "rp2":
        if re.search(r"\bpico ?2\b|rp2350", m):
            return "pico2_w" if re.search(r"\bpico ?2 w\b", m) else "pico2"
        return "pico_w" if re.search(r"\bpico w\b", m) else "pico"
    if platform == "esp32":
        for v in ("esp32s3", "esp32s2", "esp32c3"):
            if v in m.replace("-", ""):
                return v
        return "esp32"
    if platform in ("linux", "darwin", "unix"):
        return "virtual"
    return platform or "unknown"


def parse_active(text):
    if not text:
        return None, -1
    parts = text.split()
    try:
        return parts[0], (int(parts[1]) if len(parts) > 1 else -1)
    except ValueError:
        return parts[0], -1


def _blocks(size, bs):
    return max(1, -(-size // bs)) if bs else 0


def plan(manifest, scan):
    """What to do to make the board run `manifest`. Pure: no board needed."""
    active, tries = parse_active(scan.get("active"))
    if active not in ("a", "b"):
        active = None
    trees = {"a": scan.get("a") or {}, "b": scan.get("b") or {}}
    want = {p: v["sha256"][:HASH_LEN] for p, v in manifest["tree"].items()}
    sizes = {p: v["size"] for p, v in manifest["tree"].items()}
    root_want = {p: v["sha256"][:HASH_LEN] for p, v in manifest["root"].items()}
    board_root = scan.get("root") or {}
    root_send = sorted(p for p, h in root_want.items() if not board_root.get(p) or board_root[p][0] != h)
    # A /boot.py or /main.py that is not mpk's (no ROOT_MARK) is the user's: kept aside.
    keep = [p for p in root_send if board_root.get(p) and not (len(board_root[p]) > 2 and board_root[p][2])]

    def tree_files(t):
        return {p: v[0] for p, v in trees[t].items() if v is not None and p not in MARKS}

    def matches(t):
        return tree_files(t) == want and ".built" in trees[t]

    result = {
        "active": active,
        "trial": tries >= 0,
        "root_send": root_send,
        "keep": keep,
        "send": [],
        "copy": [],
        "skip": [],
        "remove": [],
        "rmdirs": [],
        "mkdirs": [],
        "target": None,
        "switch": False,
        "up_to_date": False,
        "need_bytes": 0,
        "free_bytes": None,
        "deflate": bool(scan.get("deflate")),   # the board inflates what is sent
    }
    if active and matches(active):
        result["up_to_date"] = not root_send
        result["skip"] = sorted(want)
        result["target"] = active
    else:
        target = "b" if active == "a" else "a"
        other = active
        tfiles = tree_files(target)
        ofiles = tree_files(other) if other else {}
        for p in sorted(want):
            h = want[p]
            if tfiles.get(p) == h:
                result["skip"].append(p)
            elif ofiles.get(p) == h:
                result["copy"].append(p)
            else:
                result["send"].append(p)
        result["remove"] = sorted(p for p in tfiles if p not in want)
        # the tree is no longer whole from its first change on: its marks go first
        result["remove"] = [m for m in MARKS if m in trees[target]] + result["remove"]
        need_dirs = set()
        for p in want:
            parts = p.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                need_dirs.add("/".join(parts[:i]) + "/")
        have_dirs = {p for p, v in trees[target].items() if v is None}
        result["mkdirs"] = sorted(need_dirs - have_dirs, key=lambda d: (d.count("/"), d))
        result["rmdirs"] = sorted(have_dirs - need_dirs, key=lambda d: (-d.count("/"), d))
        result["target"] = target
        result["target_exists"] = scan.get(target) is not None
        result["switch"] = True
    # Space: what will be written, against what is free plus what is freed first.
    fs = scan.get("fs")
    if fs:
        bs, bfree, _total = fs
        tfull = trees.get(result["target"] or "a") or {}
        written = result["send"] + result["copy"]
        need = sum(_blocks(sizes[p], bs) for p in written)
        need += len(result["mkdirs"]) + (0 if result.get("target_exists", True) else 1) + 2
        need += sum(_blocks(manifest["root"][p]["size"], bs) for p in root_send)
        freed = sum(_blocks(tfull[p][1], bs) for p in result["remove"] + written if tfull.get(p))
        result["need_bytes"] = max(0, need - freed + MARGIN_BLOCKS) * bs
        result["free_bytes"] = bfree * bs
    result["send_bytes"] = sum(sizes[p] for p in result["send"]) + sum(
        manifest["root"][p]["size"] for p in root_send)
    return result


def _q(s):
    return repr(s)


def _human(n):
    return "%d B" % n if n < 1024 else ("%.1f KB" % (n / 1024) if n < 1024 * 1024 else "%.2f MB" % (n / 1048576))


def parse_scan(out):
    """The scan's output (host_tools/agent/scan.py) -> the scan dict plan() takes.

    One line per entry of the two trees, printed as the board walks them (a stopped
    system may hold most of the heap: no big string is built on the board):
    `F tree hash size path`, `D tree path/`, `N tree` (no such tree); then
    the rest as a JSON object (a Python literal from a board without json). Trees become
    {path: (hash, size)} with None for dirs.
    A hash of '?' was not computed (the quick read: the idle tree); such trees are
    listed in scan["unhashed"] for hash_trees().
    """
    try:
        lines = out.decode().strip().splitlines()
        try:
            scan = json.loads(lines[-1])  # as the board prints it when it has json
        except ValueError:
            import ast  # a board without json prints repr()

            scan = ast.literal_eval(lines[-1])
        if not isinstance(scan, dict):
            raise ValueError(lines[-1])
        scan.update(_parse_tree_lines(lines[:-1]))
        unhashed = sorted(t for t in ("a", "b") if scan[t] and any(
            v is not None and v[0] == "?" for v in scan[t].values()))
        if unhashed:
            scan["unhashed"] = unhashed
        return scan
    except (ValueError, SyntaxError, IndexError, KeyError, AttributeError):
        raise MpkError("unexpected answer from the board while reading its files") from None


def _parse_tree_lines(lines):
    """`F tree hash size path`, `D tree path/`, `N tree` lines -> {tree: {path: (hash, size) or None}}."""
    trees = {"a": {}, "b": {}}
    for line in lines:
        kind, rest = line.rstrip("\r").split(" ", 1)
        if kind == "F":
            t, h, size, path = rest.split(" ", 3)
            trees[t][path] = (None if h == "None" else h, int(size))
        elif kind == "D":
            t, path = rest.split(" ", 1)
            trees[t][path] = None
        elif kind == "N":
            trees[rest] = None
        else:
            raise ValueError(line)
    return trees


def hash_trees(exec_code, scan, trust=True):
    """Fill in the hashes the quick read left out ('?': the idle tree), in one exec."""
    todo = scan.get("unhashed") or []
    if not todo:
        return scan
    from host_tools import agent

    out = exec_code(agent.call("scan", "hash_trees(%r, %r, %d, %r)" % (SLOT_DIR, todo, HASH_LEN, trust)))
    try:
        trees = _parse_tree_lines(out.decode().strip().splitlines())
    except (ValueError, IndexError, KeyError):
        raise MpkError("unexpected answer from the board while reading its files") from None
    for t in todo:
        scan[t] = trees[t]
    scan.pop("unhashed", None)
    return scan


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
           reset=True, discover=None, _hook=None, wait_s=0, verify=False):
    """Deploy and return a summary dict. `_hook(stage, board)` lets tests interrupt at a stage.

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
                        _check_space(p)
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
        from host_tools.deploy_write import _deploy_changes

        summary = _deploy_changes(port, board_name, root, note, progress, reset, hook, planned, wait_s,
                                  trust=not verify)
    summary["seconds"] = time.monotonic() - t0 - summary.get("up_s", 0)
    if log:
        log(format_summary(summary))
    return summary


def _summary(port, name, manifest, p):
    return {
        "port": port, "board": name, "build_id": manifest["build_id"], "tree": p["target"],
        "sent": len(p["send"]) + len(p["root_send"]), "copied": len(p["copy"]),
        "skipped": len(p["skip"]), "removed": len([r for r in p["remove"] if r not in MARKS]),
        "bytes": p["send_bytes"], "switched": False, "kept": {},
    }


def _check_space(p):
    if p["free_bytes"] is not None and p["need_bytes"] > p["free_bytes"]:
        raise MpkError(
            "flash full: the new firmware needs %s more but the board has %s free; nothing was "
            "written (free space with `mpk rm`, or make the firmware smaller)"
            % (_human(p["need_bytes"]), _human(p["free_bytes"])))


def _after(s):
    if not s.get("switched"):
        return ""
    if "up_s" in s:
        return "; switched, up %.1f s later" % s["up_s"]
    return "; switched, soft reset"


def format_kept(s):
    return "".join("; your %s is kept as %s" % ("/" + f, k) for f, k in sorted(s.get("kept", {}).items()))


def format_summary(s):
    if s.get("up_to_date"):
        return "deploy: %s is up to date on %s (tree %s, build %s): 0 files sent, %d skipped, 0 B; %.2f s" % (
            s["board"], s["port"], s["tree"], s["build_id"], s["skipped"], s["seconds"])
    return ("deploy: build %s to tree %s on %s: %d files sent (%s), %d copied on the board, %d skipped, "
            "%d removed; %.2f s%s" % (
                s["build_id"], s["tree"], s["port"], s["sent"], _human(s["bytes"]), s["copied"], s["skipped"],
                s["removed"], s["seconds"], _after(s))) + format_kept(s)
