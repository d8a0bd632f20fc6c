# Board side of "what are you?" (mpk devices, mpk hil): what the firmware says of itself.
import os
import sys


def _exists(p):
    try:
        os.stat(p)
        return True
    except OSError:
        return False


def info():
    # repr of (implementation, version, mpy, platform, uname, flash free, flash total,
    # machine) for host_tools/devices.py.
    try:
        u = os.uname()
        u = (u.sysname, u.release, u.machine)
    except Exception:
        u = None
    try:
        s = os.statvfs("/")
        free, total = s[0] * s[3], s[0] * s[2]
    except Exception:
        free = total = None
    impl = sys.implementation
    print(repr((impl.name, tuple(impl.version)[:3], getattr(impl, "_mpy", None), sys.platform, u, free,
                total, getattr(impl, "_machine", None))))


def hil_info():
    # repr of (sysname, machine, virtual board name or None, /main.py there, an older
    # runner's /main.py.hil-off there, an mpk firmware there) for host_tools/hil/session.py.
    u = os.uname()
    try:
        import simboard

        sim = simboard.NAME
    except ImportError:
        sim = None
    print(repr((u[0], u[4], sim, _exists("/main.py"), _exists("/main.py.hil-off"), _exists("/mpk/active"))))
