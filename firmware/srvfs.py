# /srv: the running system as files (Plan 9's /proc, the Hurd's translators), a read-only
# filesystem MicroPython mounts like any other:
#
#   from firmware import srvfs
#   srvfs.mount(k)            # at /srv (firmware/main.py does it at boot: image "srv": True)
#   os.listdir("/srv")        # faults log ps trace, and a directory per task
#   print(open("/srv/ps").read())
#   srvfs.umount()
#
# The files (ps, trace, faults, log, <task>/info, <task>/protocol) are in
# firmware/srvfs_files.py. What is mounted is the stand-in below: it loads that module the
# first time /srv is used, so a system that never looks pays about 1.6 KB of a Pico's heap
# (firmware/main.py loads it early in the boot), not the 7 KB of the files' code.
# Mounts end with a soft reset (MicroPython clears its mount table); mount() unmounts a
# srvfs left at the mount point by an earlier start in the same interpreter first.
try:
    import vfs as _vfs             # MicroPython 1.23+
except ImportError:
    import os as _vfs              # older ports mount through os; CPython cannot mount

MOUNT = "/srv"


class SrvFS:
    SRVFS = True                   # what umount() recognises (also an earlier start's class)

    def __init__(self, k=None):
        self._k = k                # None: the kernel that runs, or ran last
        self._fs = None

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def __getattr__(self, name):
        # ilistdir, stat, open, chdir ...: the filesystem proper, loaded when first used.
        fs = self._fs
        if fs is None:
            from firmware.srvfs_files import Files

            fs = self._fs = Files(self._k)
        return getattr(fs, name)


def mount(k=None, point=MOUNT):
    # Mount /srv for kernel k (None: whichever kernel runs). Returns the mounted object.
    if not hasattr(_vfs, "mount"):
        raise OSError(19, "this port cannot mount: use srvfs.SrvFS(k) directly")   # ENODEV
    umount(point)
    fs = SrvFS(k)
    _vfs.mount(fs, point)
    return fs


def umount(point=MOUNT):
    # Unmount the srvfs at point; True if one was there. Another filesystem there is left.
    if not hasattr(_vfs, "umount"):
        return False
    try:
        for obj, p in _vfs.mount():
            if p == point and not getattr(obj, "SRVFS", False):
                return False
    except Exception:
        pass                       # a port that cannot list its mounts
    try:
        _vfs.umount(point)
        return True
    except OSError:
        return False
