"""Running virtual boards, so that `mpk devices` and port selection find them like USB
boards: each `mpk sim` writes one small JSON file while it runs and removes it at exit.
A file whose process is gone (a killed `mpk sim`) is ignored and cleaned up.

    {"port": "/dev/pts/3", "link": "/abs/ttyPICO" or null, "pid": 1234,
     "engine": "unix" | "rp2040", "board": "pico", "flash": "/abs/pico.img" or null}
"""
import json
import os
import tempfile


def registry_dir():
    d = os.environ.get("MPK_SIM_DIR")
    if d:
        return d
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return os.path.join(base, "mpk-boards-%d" % os.getuid())


def _path(pid):
    return os.path.join(registry_dir(), "%d.json" % pid)


def register(board, link=None, flash=None):
    """Record (or update, after a re-enumeration) the board this process runs."""
    d = registry_dir()
    os.makedirs(d, mode=0o700, exist_ok=True)
    info = {"port": board.port, "link": os.path.abspath(link) if link else None, "pid": os.getpid(),
            "engine": getattr(board, "engine", "unix"), "board": board.board["name"],
            "flash": os.path.abspath(flash) if flash else None}
    tmp = _path(os.getpid()) + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, _path(os.getpid()))


def unregister():
    try:
        os.remove(_path(os.getpid()))
    except OSError:
        pass


def _alive(pid):
    try:
        os.kill(int(pid), 0)
        return True
    except PermissionError:
        return True
    except (OSError, ValueError, TypeError):
        return False


def running():
    """The registered boards whose process still runs, oldest first."""
    d = registry_dir()
    try:
        names = sorted(n for n in os.listdir(d) if n.endswith(".json"))
    except OSError:
        return []
    out = []
    for n in names:
        p = os.path.join(d, n)
        try:
            with open(p) as f:
                info = json.load(f)
        except (OSError, ValueError):
            continue
        if not isinstance(info, dict) or not info.get("port"):
            continue
        if "pid" in info and not _alive(info["pid"]):
            try:
                os.remove(p)            # left by a killed `mpk sim`
            except OSError:
                pass
            continue
        out.append(info)
    return out
