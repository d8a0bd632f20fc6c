"""Three versions of a firmware project for the power-loss sweep of `mpk deploy`.

v1 and v2 are deployed first (trees a and b); the deploy under test puts v3 into tree a
over v1, so it does every kind of step a deploy has: skip files v1 left there, copy one
from the running tree b, send changed and new ones, remove a stale file (and, in the
small project, a directory), then .built, a new /boot.py (v3 adds a line to it: written
beside, then renamed over) and the switch.

  small     a made-up project: the real firmware/boot.py, a firmware/main.py that
            imports every module (a tree that starts has all of them), 14 to 17 modules
  firmware  this checkout's own kernel/ servers/ boards/ hal/ firmware/, with a few modules
            changed between versions (a line added at their end)
  firmware_all  the same, but v3 changes every file: the deploy sends the whole tree
"""
import shutil
from pathlib import Path

from host_tools.build import SKIP_DIRS, SOURCE_DIRS

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ("v1", "v2", "v3")


def _module(name, rev, size):
    # Distinct strings per module and revision: each .mpy differs from the others.
    return "".join("%s_%d = %r\n" % (name.upper(), j, "%s-%s-%d-%s" % (name, rev, j, "x" * 24))
                   for j in range(size // 60))


def _small_files(version):
    n = VERSIONS.index(version) + 1
    mods = {"s%02d" % i: ("r1", 2500) for i in range(12)}
    mods["old.x"] = ("r1", 800)
    if n >= 2:
        mods["s05"] = ("r2", 2500)
    if n >= 3:
        # s00 spans several frames and flash writes (host_tools/transfer.py).
        mods.update({"s00": ("r3", 12000), "s01": ("r3", 3000), "s02": ("r3", 2500),
                     "s12": ("r3", 2500), "extra.y": ("r3", 1500)})
        del mods["s11"], mods["old.x"]
    out = {
        "firmware/boot.py": _boot_py(version),
        "kernel/__init__.py": "TAG = %r\n" % version,
        "servers/__init__.py": "",
    }
    for name, (rev, size) in mods.items():
        out["servers/%s.py" % name.replace(".", "/")] = _module(name.replace(".", "_"), rev, size)
        if "." in name:
            out["servers/%s/__init__.py" % name.split(".")[0]] = ""
    out["firmware/main.py"] = (
        "import kernel\n" + "".join("import servers.%s\n" % m for m in sorted(mods))
        + "TAG = kernel.TAG\n\ndef main():\n    print('FIRMWARE', TAG)\n")
    return out


def _boot_py(version):
    text = (ROOT / "firmware" / "boot.py").read_text()
    return text + "_POWER_CUT_SWEEP = 'v3'\n" if version == "v3" else text


def small(dest, version):
    """Write the small project at `version` under dest (a fresh directory); returns dest."""
    dest = Path(dest)
    for rel, text in _small_files(version).items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return dest


# firmware: which modules get a line added, per version (v3 keeps v2's, so it is copied).
_CHANGED = {"v1": (), "v2": ("kernel/trace.py",),
            "v3": ("kernel/trace.py", "servers/log.py", "servers/console.py", "boards/pico.py")}


def firmware(dest, version, everything=False):
    """Copy this checkout's firmware sources under dest at `version`; returns dest.
    everything: v3 changes every file (the line is added to all of them)."""
    dest = Path(dest)
    for d in SOURCE_DIRS:
        shutil.copytree(ROOT / d, dest / d, ignore=shutil.ignore_patterns(*SKIP_DIRS, "*.mpy", "*.pyc"))
    changed = _CHANGED[version]
    if everything and version == "v3":
        changed = sorted(str(p.relative_to(dest)) for d in SOURCE_DIRS for p in (dest / d).rglob("*.py"))
    for rel in changed:
        with open(dest / rel, "a") as f:
            f.write("\n_POWER_CUT_SWEEP = %r\n" % ("v2" if rel == "kernel/trace.py" and not everything else version))
    # A module only v1 and v2 have, and one only v3 has (neither is imported).
    extra = "servers/_power_cut_old.py" if version != "v3" else "servers/_power_cut_new.py"
    (dest / extra).write_text("SWEEP = %r\n" % version)
    return dest


SCENARIOS = {
    # name: (writer, what the board prints once firmware `version` has started and confirmed,
    #        whether the checker also runs boot.start(): only the small project's main() returns)
    "small": (small, lambda v: b"FIRMWARE " + v.encode(), True),
    "firmware": (firmware, lambda v: b" tasks in the image", False),
    "firmware_all": (lambda d, v: firmware(d, v, everything=True), lambda v: b" tasks in the image", False),
}
