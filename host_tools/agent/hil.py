# Board side of mpk hil's set-up (host_tools/hil/session.py, files.py): the hashes of the
# test modules on the board, the system a test needs, the repair of an older runner's
# leftover. One test run is hil_run.py.
import os
import sys

try:
    import hashlib
    import binascii
except ImportError:
    hashlib = None


def _hash(p):
    if hashlib is None:
        return None
    h = hashlib.sha256()
    buf = bytearray(512)
    mv = memoryview(buf)
    with open(p, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(mv[:n])
    return binascii.hexlify(h.digest()).decode()


def hashes(d):
    # repr of {file name: sha256 hex} of the files in d, or None without d.
    try:
        names = [e[0] for e in os.ilistdir(d) if not e[1] & 0x4000]  # type: ignore[attr-defined]
    except OSError:
        print(repr(None))
        return
    print(repr(dict((n, _hash(d + "/" + n)) for n in names)))


def _on_path(d):
    if d not in sys.path:
        sys.path.append(d)


def boot_system(d, drop):
    # The firmware's system without the tasks a test replaces, running until stopped.
    _on_path(d)
    from firmware import main as fw, system, image

    k = fw.build(image.without(system.IMAGE, drop),
                 reset=lambda why: print("hil: the supervisor asked for a board reset:", why))
    print("\x1ehil-system-up")
    fw.run(k)


def repair():
    # An older runner set /main.py aside as /main.py.hil-off and a killed run could leave
    # it so: put it back; with both there, keep both (a user's file is never deleted).
    try:
        os.stat("/main.py")
        print("both")
    except OSError:
        os.rename("/main.py.hil-off", "/main.py")
        print("restored")
