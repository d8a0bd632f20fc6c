"""`mpk deploy`, the plan: from what the board has (the scan, host_tools/agent/scan.py) and
what the build made (its manifest), what to send, copy on the board, skip and remove.
Pure data in, data out: nothing here talks to a board (host_tools/deploy.py reads it,
host_tools/deploy_write.py applies the plan over the link).
"""
import json

from host_tools import build as build_mod
from host_tools.device_code import load
from host_tools.errors import MpkError

_wire = load("firmware.wire")       # the A/B layout, as the board's boot.py reads it
SLOT_DIR = _wire.SLOT_DIR
HASH_LEN = 20  # hex chars of sha256 compared (80 bits)
ACTIVE = _wire.ACTIVE
# A complete tree's marks (host_tools/agent/seal.py): .built (its build id, what boot.py
# looks for) and .sums (its files' hashes and sizes, so the next read need not hash them).
MARKS = _wire.MARKS
MARGIN_BLOCKS = 4
BINARY_PLATFORMS = ("rp2", "esp32")   # sys.platform of the ports whose stdin passes raw bytes


def scan_code(hash_idle=True, trust=True):
    """The read of the board (host_tools/agent/scan.py). hash_idle=False, the quick read:
    only the running tree (and /boot.py, /main.py) is hashed, which is all a no-change
    deploy needs; the idle tree is listed with '?' and hashed (hash_trees) only when
    something is to be written into it. trust=False (mpk deploy --verify): every file is
    hashed, whatever the trees' .sums say."""
    from host_tools import agent

    return agent.call("scan", "scan(%r, %d, %r, %r, %r)" % (
        SLOT_DIR, HASH_LEN, build_mod.ROOT_MARK.encode(), hash_idle, trust))


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
    if active not in _wire.TREES:
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
        # MicroPython's own stdin on these ports passes every byte once Ctrl-C is off
        # (the unix port's goes through a tty): the data may go as it is
        "binary": scan.get("platform") in BINARY_PLATFORMS,
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


def human(n):
    return "%d B" % n if n < 1024 else ("%.1f KB" % (n / 1024) if n < 1024 * 1024 else "%.2f MB" % (n / 1048576))


def parse_scan(out):
    """The scan's output (host_tools/agent/scan.py) -> the scan dict plan() takes.

    One line per entry of the two trees, printed as the board walks them (a stopped
    system may hold most of the heap: no big string is built on the board):
    `F tree hash size path`, `D tree path/`, `N tree` (no such tree); then
    the rest as a JSON object (a Python literal from a board without json). Trees become
    {path: (hash, size)} with None for dirs.
    A tree left unread (`U tree`: the quick read's idle tree) is {} here and listed in
    scan["unhashed"] for hash_trees().
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
        trees, unread = _parse_tree_lines(lines[:-1])
        scan.update(trees)
        unhashed = sorted(unread)
        if unhashed:
            scan["unhashed"] = unhashed
        return scan
    except (ValueError, SyntaxError, IndexError, KeyError, AttributeError):
        raise MpkError("unexpected answer from the board while reading its files") from None


def _parse_tree_lines(lines):
    """`F tree hash size path`, `D tree path/`, `N tree`, `U tree` lines ->
    ({tree: {path: (hash, size) or None}}, {trees left unread})."""
    trees = {"a": {}, "b": {}}
    unread = set()
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
        elif kind == "U" and rest in trees:
            unread.add(rest)
        else:
            raise ValueError(line)
    return trees, unread


def hash_trees(exec_code, scan, trust=True):
    """Fill in the hashes the quick read left out ('?': the idle tree), in one exec."""
    todo = scan.get("unhashed") or []
    if not todo:
        return scan
    from host_tools import agent

    out = exec_code(agent.call("scan", "hash_trees(%r, %r, %d, %r)" % (SLOT_DIR, todo, HASH_LEN, trust)))
    try:
        trees = _parse_tree_lines(out.decode().strip().splitlines())[0]
    except (ValueError, IndexError, KeyError):
        raise MpkError("unexpected answer from the board while reading its files") from None
    for t in todo:
        scan[t] = trees[t]
    scan.pop("unhashed", None)
    return scan


def summary(port, name, manifest, p):
    return {
        "port": port, "board": name, "build_id": manifest["build_id"], "tree": p["target"],
        "sent": len(p["send"]) + len(p["root_send"]), "copied": len(p["copy"]),
        "skipped": len(p["skip"]), "removed": len([r for r in p["remove"] if r not in MARKS]),
        "bytes": p["send_bytes"], "switched": False, "kept": {},
    }


def check_space(p):
    if p["free_bytes"] is not None and p["need_bytes"] > p["free_bytes"]:
        raise MpkError(
            "flash full: the new firmware needs %s more but the board has %s free; nothing was "
            "written (free space with `mpk rm`, or make the firmware smaller)"
            % (human(p["need_bytes"]), human(p["free_bytes"])))


# --- live update (mpk deploy --live) -------------------------------------------------------
# What a running system cannot take without a reset, by where the changed file is: the
# first match names the reason. Anything else under servers/ or firmware/apps/ is a task's
# own code, which the supervisor replaces live (servers/lib/live_update.py).
LIVE_REFUSED = (
    ("kernel/", "the kernel"),
    ("servers/lib/", "code every server shares"),
    ("servers/api/", "a client API that other tasks have imported"),
    ("servers/supervisor.", "the supervisor (it does the update)"),
    ("servers/console.", "the console (it carries the update)"),
    ("servers/__init__", "the servers package"),
    ("firmware/apps/__init__", "the apps package"),
    ("hal/", "the hardware layer"),
    ("boards/", "the board definitions"),
    ("firmware/", "the firmware itself or the image's task list"),
)
_LIVE_OK = ("servers/", "firmware/apps/")


def running_tree_changes(manifest, scan):
    """Tree files (paths) where `manifest` differs from the running (active) tree: changed,
    added or gone. None when the board runs no complete tree to compare with."""
    active, _ = parse_active(scan.get("active"))
    have = scan.get(active) if active in _wire.TREES else None
    if not have or ".built" not in have:
        return None
    want = {p: v["sha256"][:HASH_LEN] for p, v in manifest["tree"].items()}
    files = {p: v[0] for p, v in have.items() if v is not None and p not in MARKS}
    return sorted(p for p in set(want) | set(files) if want.get(p) != files.get(p))


def live_modules(manifest, scan, p):
    """For `mpk deploy --live`: (the modules to replace on the running system, None), or
    (None, why it cannot be done live), from the plan p and the scan."""
    if p["root_send"]:
        return None, "/%s changed (it runs only at boot)" % p["root_send"][0]
    changed = running_tree_changes(manifest, scan)
    if changed is None:
        return None, "the board runs no complete deployed tree to update"
    mods = []
    for path in changed:
        if path == build_mod.QSTRS:
            continue                     # read at boot only (boot.py): nothing to apply live
        why = next((w for pre, w in LIVE_REFUSED if path.startswith(pre)
                    and not (pre == "firmware/" and path.startswith("firmware/apps/"))), None)
        if why is None and not path.startswith(_LIVE_OK):
            why = "a file outside the servers"
        if why is not None:
            return None, "%s changed: %s" % (path, why)
        if path not in manifest["tree"]:
            return None, "%s is gone (a live update replaces code, it does not remove it)" % path
        mods.append(path.rsplit(".", 1)[0].replace("/", "."))
    return mods, None
