"""`mpk deploy`, the part that writes: soft reset, send, copy, verify, switch.

Imported only when a deploy has something to write (host_tools/deploy.py reads the
board and decides; a no-change deploy never loads this module).
"""
import os
import sys

from host_tools import agent, transfer
from host_tools.deploy_plan import ACTIVE, HASH_LEN, SLOT_DIR, check_space, hash_trees, parse_scan, plan, scan_code
from host_tools.deploy_plan import summary as plan_summary
from host_tools.link import BoardExecError, BoardGone, open_board
from host_tools.errors import MpkError


class _Progress:
    """A rich progress bar on a terminal for long transfers, nothing otherwise."""

    def __init__(self, total, enabled):
        self.bar = None
        if enabled and total >= 16384 and sys.stderr.isatty():
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            self.bar = Progress(TextColumn("sending"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                transient=True)
            self.bar.start()
            self.task = self.bar.add_task("send", total=total)

    def advance(self, n):
        if self.bar:
            self.bar.update(self.task, advance=n)

    def close(self):
        if self.bar:
            self.bar.stop()


def _send_files(board, items, progress, p, before=""):
    """items: [(local path, remote path)]; streamed to the board's receiver as the plan p
    says (binary, deflate, frame) where the link allows, each checked as it arrived.
    before: code run first, in the same exec."""
    binary = bool(p.get("binary")) and board.binary_safe
    try:
        transfer.send_files(board, items, progress.advance, deflate=p.get("deflate") and not binary,
                            timeout=60, frame=p.get("frame"), binary=binary, before=before)
    except transfer.Damaged as e:
        raise MpkError("verification failed on the board for %s; the board still boots its previous "
                       "firmware: run `mpk deploy` again" % e.remote) from None


def _copy_files(board, pairs, local):
    """pairs: [(board path, board path)]; copied on the board, each checked against the
    build's file it should equal (local: their paths here). A copy that differs (the
    running tree's file was not what its .sums said) raises MpkError."""
    import zlib

    for i in range(0, len(pairs), 40):
        part = pairs[i:i + 40]
        out = board.exec(agent.call("copy", "copy(%r)" % (part,)), timeout=60).decode().split()
        for (_, dst), crc, path in zip(part, out, local[i:i + 40]):
            with open(path, "rb") as f:
                mine = "%08x" % zlib.crc32(f.read())
            if crc != "-" and crc != mine:
                raise MpkError("verification failed on the board for %s (copied from the running tree, "
                               "which differs from its build); the board still boots its previous "
                               "firmware: run `mpk deploy --verify`" % dst)


def deploy_changes(port, make_plan, progress, reset, hook, planned=None, wait_s=0, trust=True):
    """The deploy through the link: soft reset, write, verify, switch.

    make_plan(scan) -> (board name, manifest, plan): the build and plan for what a scan
    read (host_tools/deploy.py).
    `planned`: (board name, manifest, plan) from the quick read, or (board name,
    manifest, None, scan) when the quick read left the idle tree unhashed: it is hashed
    here, after the soft reset, in a clean heap (on a Pico with its system stopped it
    takes half as long again). None: read the board here, after a soft reset when a
    stopped system left no heap for the scan.
    """
    with open_board(port, raw=True, soft_reset=planned is not None) as b:
        try:
            if planned is None:
                try:
                    out = b.exec(scan_code(trust=trust), timeout=60)
                except (BoardExecError, BoardGone) as e:
                    if isinstance(e, BoardExecError) and "MemoryError" not in e.output:
                        raise
                    # A stopped system keeps its heap (Ctrl-C keeps the kernel's state), so
                    # there may be no room even to compile the scan: read the board again
                    # after a soft reset frees it. A board that is really gone fails here too.
                    b.enter_raw(soft_reset=True)
                    out = b.exec(scan_code(trust=trust), timeout=60)
                scan = parse_scan(out)
                name, manifest, p = make_plan(scan)
                summary = plan_summary(b.port, name, manifest, p)
                if p["up_to_date"]:
                    summary["up_to_date"] = True
                    return summary
                check_space(p)
                b.enter_raw(soft_reset=True)
            else:
                # Read already; the board was left stopped in the raw REPL and has just
                # been soft-reset into it again (a clean heap for the transfer).
                name, manifest, p = planned[:3]
                if p is None:
                    scan = hash_trees(lambda code: b.exec(code, timeout=60), planned[3], trust)
                    p = plan(manifest, scan)
                    check_space(p)
                summary = plan_summary(b.port, name, manifest, p)
            hook("planned", b)
            _apply(b, manifest, p, progress, hook, summary["kept"])
            summary["switched"] = p["switch"]
            if reset and wait_s:
                # The new tree starts now; the deploy is done when it is up, and failed if
                # boot.py rolls it back (host_tools/firmware_up.py).
                from host_tools.firmware_up import wait_until_up

                reset = False
                b.soft_reset()
                try:
                    summary["up_s"] = wait_until_up(b, wait_s)
                except OSError as e:
                    raise MpkError("the board went away while its new firmware started (%s)" % e) from None
            return summary
        except BoardGone as e:
            raise MpkError(
                "%s; nothing was switched: the board still boots its previous firmware. "
                "Run `mpk deploy` again once it is back" % e) from None
        except BoardExecError as e:
            if e.errno == 28:
                raise MpkError("flash full while writing the new tree; the board still boots its previous "
                               "firmware (free space with `mpk rm`)") from None
            raise MpkError("deploy failed on the board (%s); the board still boots its previous firmware"
                           % str(e)) from None
        finally:
            if reset:
                try:
                    b.soft_reset()
                except MpkError:
                    pass


def _apply(b, manifest, p, progress, hook, kept=None):
    t = SLOT_DIR + p["target"] + "/"
    src = SLOT_DIR + (p["active"] or "") + "/"
    tree_dir = manifest["dir"] + "/tree/"
    if p["switch"]:
        # 1. the idle tree is incomplete from now on; clear what is stale; make dirs
        # (with nothing to copy, in the same exec as the receiver: one less to compile).
        prepare = agent.call("files", "prepare(%r, %r, %r, %r)" % (
            t, p["remove"], [d[:-1] for d in p["rmdirs"]], [d[:-1] for d in p["mkdirs"]]))
        if p["copy"]:
            b.exec(prepare, timeout=30)
            prepare = ""
        # 2. copies on the board from the running tree, each checked as it was written.
        _copy_files(b, [(src + f, t + f) for f in p["copy"]], [tree_dir + f for f in p["copy"]])
        hook("copied", b)
        # 3. sends, and with them the tree's .sums as .sums.new (seal.py) and the root
        # files as /boot.py.new, /main.py.new (one stream: one receiver to compile), each
        # checked as it arrived (its CRC-32 against what was sent).
        sums_file = _sums_file(manifest)
        root = [manifest["dir"] + "/root/" + f for f in p["root_send"]]
        bar = _Progress(p["send_bytes"] + sum(os.path.getsize(f) for f in [sums_file] + root), progress)
        try:
            _send_files(b, [(tree_dir + f, t + f) for f in p["send"]] + [(sums_file, t + ".sums.new")]
                        + [(f, "/" + n + ".new") for f, n in zip(root, p["root_send"])], bar, p, prepare)
            hook("sent", b)
            # 4. mark the tree complete, and then 5. put the root files in place (each
            # .new renamed over its file): one exec. The switch follows.
            _replace_root(b, p, kept, first=agent.call("seal", "seal(%r, %r)" % (t, manifest["build_id"])))
        finally:
            bar.close()
        hook("switch", b)
        b.exec(agent.call("files", "write_replace(%r, %r)" % (ACTIVE, p["target"] + " 0")))
    else:
        _send_root(b, p, manifest, _Progress(0, False), kept)


def _sums_file(manifest):
    """The .sums text of the manifest's tree (seal.py), as a file beside the build."""
    text = "".join("%s %d %s\n" % (v["sha256"][:HASH_LEN], v["size"], f) for f, v in sorted(manifest["tree"].items()))
    path = os.path.join(manifest["dir"], "tree.sums")
    try:
        with open(path) as f:
            if f.read() == text:
                return path
    except OSError:
        pass
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)      # parallel deploys of one build write the same text
    return path


def _send_root(b, p, manifest, bar, kept=None):
    if not p["root_send"]:
        return
    root_dir = manifest["dir"] + "/root/"
    _send_files(b, [(root_dir + f, "/" + f + ".new") for f in p["root_send"]], bar, p)
    _replace_root(b, p, kept)


def _replace_root(b, p, kept=None, first=""):
    """The root files sent as /<name>.new in place (renames: atomic each). first: code run
    before, in the same exec (a failure there stops the rest)."""
    if p.get("keep") and p["root_send"]:
        # The user's own /boot.py or /main.py: renamed aside (never over another), then ours goes in.
        out = b.exec(first + agent.call("files", "keep_aside(%r)" % (["/" + f for f in p["keep"]],)))
        first = ""
        if kept is not None:
            kept.update(zip(p["keep"], out.decode().split()))
    if p["root_send"]:
        first += agent.call("files", "replace(%r)" % ([("/" + f + ".new", "/" + f) for f in p["root_send"]],))
    if first:
        b.exec(first, timeout=30)
