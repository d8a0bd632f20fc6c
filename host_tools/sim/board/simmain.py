# One "power cycle" of the virtual board, run by the MicroPython unix port:
#   micropython simmain.py CONFIG.json
# It does what ports/rp2/main.c and _boot.py do: mount the flash at /, run
# boot.py, then main.py (friendly REPL mode only), then the REPL. A soft reset
# ends this process; the host starts the next one on the same serial line.
import sys
import os
import gc

# Everything the board needs is imported now: once the flash is mounted at /,
# the host filesystem (and this directory) is out of reach.
import simcore
cfg = simcore.load(sys.argv[1])
import repl
import lfsdev
import simmachine
import simdevices
import simboard
import simmods


class State:
    pass


def mount_flash(cfg):
    fl = cfg["flash"]
    bdev = lfsdev.FileBlockDevice(fl["path"], fl["block_size"], fl["block_count"])
    try:
        vfs = os.VfsLfs2(bdev, progsize=256)
    except OSError:
        if not fl["format"]:
            simcore.ctl("fatal flash image %s does not hold a littlefs filesystem" % fl["path"])
            simcore.exit(simcore.EXIT_FATAL)
        os.VfsLfs2.mkfs(bdev, progsize=256)
        vfs = os.VfsLfs2(bdev, progsize=256)
    os.umount("/")
    os.mount(vfs, "/")
    os.chdir("/")


def main():
    mount_flash(cfg)
    sys.path.clear()
    sys.path.extend(("", ".frozen", "/lib"))
    simmods.install(cfg)
    state = State()
    state.mode = cfg["repl_mode"]
    state.banner = cfg["banner"]
    simcore.ctl("up")

    ret = repl.run_file("boot.py")
    if not ret & repl.FORCED_EXIT and state.mode == repl.FRIENDLY:
        ret = repl.run_file("main.py")
    while not ret & repl.FORCED_EXIT:
        if state.mode == repl.RAW:
            ret = repl.raw_repl(state)
        else:
            ret = repl.friendly_repl(state)
        simcore.ctl("mode " + state.mode)

    repl.cout("MPY: soft reboot\n")
    simcore.ctl("mode " + state.mode)
    finalise()
    simcore.exit(simcore.EXIT_SOFT)


def finalise():
    # rp2's soft reset ends with gc_sweep_all(): finalisers run, so files the
    # program left open are closed and their data reaches the flash.
    repl.G.clear()
    sys.modules.clear()
    gc.collect()
    gc.collect()


main()
