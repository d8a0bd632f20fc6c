# The board side of the power-loss sweep (host_tools/sim/power_cut.py), run by the
# MicroPython unix port:  micropython power_check.py CONFIG.json
#
# Replays a recorded flash journal over the flash image it started from and, at each
# write point N asked for, cuts the power: the flash as it is after N writes ("cut"), and
# with write N+1 partly done ("tornK": its first K bytes written, for each fraction of
# it in the config's "tears"). Each such flash is mounted with VfsLfs2 as the
# board mounts it, and booted with the /boot.py found on it (the real firmware/boot.py,
# imported, not imitated): the tree it picks must be one whole build, old or new. Then
# boot.rollback() is asked where a failed start would go: that tree must be whole too.
# One line per flash state on stdout: "R <N> <cut|tornK> <verdict> <detail>", verdict
# one of the build names in the config, or FAIL.
#
# Writes the boot makes (the trial counter, a confirm) go to a copy-on-write layer that
# is dropped afterwards, so every state is checked from the flash the cut left.
import sys
import os
import json
import hashlib
import binascii
import flash_journal as J

BOOT_MODS = ("boot", "kernel", "servers", "boards", "hal", "firmware")


class Flash:
    """The flash as a block device: a base image and the blocks written over it since."""

    def __init__(self, img, bs):
        self.img = img
        self.mv = memoryview(img)
        self.bs = bs
        self.n = len(img) // bs
        self.over = {}

    def _own(self, b):
        o = self.over.get(b)
        if o is None:
            o = self.over[b] = bytearray(self.mv[b * self.bs:(b + 1) * self.bs])
        return o

    def readblocks(self, b, buf, off=0):
        o = self.over.get(b)
        if o is None:
            a = b * self.bs + off
            buf[:] = self.mv[a:a + len(buf)]
        else:
            buf[:] = memoryview(o)[off:off + len(buf)]

    def writeblocks(self, b, buf, off=None):
        if off is None:
            self.ioctl(6, b)
            off = 0
        self._own(b)[off:off + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return self.bs
        if op == 6:
            self._own(arg)[:] = b"\xff" * self.bs
            return 0
        return 0 if op in (1, 2, 3) else None


_buf = bytearray(1024)


def _hash(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while True:
            n = f.readinto(_buf)
            if not n:
                break
            h.update(memoryview(_buf)[:n])
    return binascii.hexlify(h.digest()).decode()


def _walk(d, rel, out):
    for e in os.ilistdir(d):
        p, q = d + "/" + e[0], rel + e[0]
        if e[1] & 0x4000:
            _walk(p, q + "/", out)
        else:
            out[q] = _hash(p)
    return out


def tree_verdict(slot, builds, marked=True):
    """(build name, note) when /mpk/<slot> holds exactly one build's files and a .built,
    else (None, why). marked: its .built must also name that build (boot.py itself only
    asks whether .built exists, which is all a rollback target needs)."""
    try:
        files = _walk("/mpk/" + slot, "", {})
    except OSError as e:
        return None, "tree %s unreadable (%r)" % (slot, e)
    try:
        with open("/mpk/%s/.built" % slot) as f:
            built = f.read()
    except OSError:
        built = None
    files.pop(".built", None)
    files.pop(".sums", None)            # the tree's hashes (a shortcut for reads), not a file of it
    for name, b in builds.items():
        if files == b["tree"] and built is not None:
            if built == b["id"]:
                return name, ""
            if marked:
                return None, "tree %s holds %s but its .built says %r" % (slot, name, built[:20])
            return name, "(.built %r)" % built[:20]
    # Not whole: say how far it is from the build its .built names (or the newest).
    name = ([n for n, b in builds.items() if b["id"] == built] or sorted(builds)[-1:])[0]
    want = builds[name]["tree"]
    missing = [p for p in want if p not in files]
    wrong = [p for p in want if p in files and files[p] != want[p]]
    extra = [p for p in files if p not in want]
    return None, "tree %s is no whole build (%s; against %s: %d missing, %d wrong, %d extra: %s)" % (
        slot, "no .built" if built is None else ".built %r" % built[:20], name, len(missing), len(wrong),
        len(extra), ",".join((missing + wrong + extra)[:3]))


def _forget():
    for k in list(sys.modules):
        if k.split(".")[0] in BOOT_MODS:
            del sys.modules[k]


def _mount(flash):
    flash.over = {}
    os.mount(os.VfsLfs2(flash, progsize=256), "/")
    os.chdir("/")
    sys.path[:] = [""]
    _forget()


def _unmount():
    _forget()
    os.chdir("/")
    os.umount("/")


def _boot_once(cfg):
    """Power up as the board does: boot.py, then /main.py's boot.start(). (verdict, why)."""
    for f in ("boot.py", "main.py"):
        try:
            h = _hash("/" + f)
        except OSError:
            return None, "no /" + f
        if h not in cfg["root"][f]:
            return None, "/%s is no build's" % f
    import boot  # boot.py's module code picks the tree and puts it on sys.path
    slot = sys.path[0][len("/mpk/"):] if sys.path[0].startswith("/mpk/") else None
    if slot not in ("a", "b"):
        return None, "boot picked no tree (active: %r)" % (boot._read(),)
    name, why = tree_verdict(slot, cfg["builds"])
    if name is None:
        return None, why
    if cfg.get("start"):
        try:
            boot.start()
        except BaseException as e:  # noqa: B036 - a SystemExit (soft reset) is a failure here too
            return None, "tree %s (%s) failed to start: %r" % (slot, name, e)
        m = sys.modules.get("firmware.main")
        if m is None or not m.__file__.startswith("/mpk/%s/" % slot):
            return None, "tree %s (%s) did not start (%s)" % (slot, name, m and m.__file__)
    return name, "tree " + slot


def _rollback_target(cfg):
    """Where boot.rollback() sends a tree that failed to start: (ok, what)."""
    import boot
    if not boot.rollback("power-cut sweep"):
        return True, "stays"
    slot = boot._read()[0]
    name, why = tree_verdict(slot, cfg["builds"], marked=False)
    return name is not None, ("tree %s, %s %s" % (slot, name, why) if name else why)


def check(flash, cfg):
    try:
        _mount(flash)
    except OSError as e:
        return "FAIL", "does not mount (%r)" % e
    try:
        try:
            name, why = _boot_once(cfg)
        except Exception as e:
            name, why = None, "boot raised %r" % e
    finally:
        _unmount()
    if name is None:
        return "FAIL", why
    _mount(flash)
    try:
        try:
            ok, where = _rollback_target(cfg)
        except Exception as e:
            ok, where = False, "rollback raised %r" % e
    finally:
        _unmount()
    if not ok:
        return "FAIL", "boots %s, but a rollback would go to: %s" % (name, where)
    return name, "%s; rollback: %s" % (why, where)


def main(cfg):
    bs = cfg["block_size"]
    with open(cfg["image"], "rb") as f:
        img = bytearray(f.read())
    jf = open(cfg["journal"], "rb")  # kept open: the host's / is unmounted below
    points = sorted(cfg["points"])
    flash = Flash(img, bs)
    os.umount("/")
    n = 0
    recs = J.records(jf)
    nxt = next(recs, None)
    for p in points:
        while n < p:
            J.apply(img, bs, nxt)
            n += 1
            nxt = next(recs, None)
        v, why = check(flash, cfg)
        print("R %d cut %s %s" % (n, v, why))
        if nxt is not None:
            # Write n+1 partly done: its first bytes on the flash, the rest as it was.
            a = nxt[1] * bs
            saved = bytes(flash.mv[a:a + bs])
            size = J.length(nxt, bs)
            for frac in cfg["tears"]:
                done = min(size - 1, max(1, int(size * frac)))
                J.apply(img, bs, nxt, done)
                v, why = check(flash, cfg)
                flash.mv[a:a + bs] = saved
                print("R %d torn%d %s %s" % (n, done, v, why))
    print("DONE %d" % n)


with open(sys.argv[1]) as _f:
    _cfg = json.load(_f)
main(_cfg)
