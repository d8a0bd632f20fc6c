"""Where labgrid's commands and ser2net are, and what is missing to use them.

labgrid lives in a venv of its own (`make lab`: .venv-labgrid beside this checkout, or
$MPK_LABGRID_VENV), never in mpk's: its pyserial fork would replace mpk's pyserial.
ser2net is a Debian package (apt-get install ser2net) that labgrid's exporter runs.

    python -m host_tools.rack.tools     # prints what is missing; exit status 1 if anything
"""
import os
import shutil

from host_tools.errors import MpkError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The `ser2net` for labgrid's exporter (first on its PATH): TCP_NODELAY on, and only the
# address $SER2NET_BIND (default 127.0.0.1; '*': every interface). See bin/ser2net.
SER2NET_DIR = os.path.join(HERE, "bin")


def venv():
    return os.environ.get("MPK_LABGRID_VENV") or os.path.join(ROOT, ".venv-labgrid")


def find(name):
    """The path of one of labgrid's commands (labgrid-client, -exporter, -coordinator), or None."""
    p = os.path.join(venv(), "bin", name)
    if os.access(p, os.X_OK):
        return p
    return shutil.which(name)


def command(name):
    p = find(name)
    if p is None:
        raise MpkError("%s not found: `make lab` installs labgrid into .venv-labgrid "
                       "(or set MPK_LABGRID_VENV to a venv that has it)" % name)
    return p


def ser2net():
    """The ser2net labgrid's exporter would run (it looks on PATH, then /usr/sbin)."""
    found = shutil.which("ser2net")
    if found:
        return found
    return "/usr/sbin/ser2net" if os.access("/usr/sbin/ser2net", os.X_OK) else None


def missing():
    """Why a rack cannot run here (one line), or None when labgrid and ser2net are there."""
    lacking = [n for n in ("labgrid-client", "labgrid-exporter", "labgrid-coordinator") if find(n) is None]
    if lacking:
        return "labgrid is not installed (%s not found; `make lab` installs it into .venv-labgrid)" % lacking[0]
    if ser2net() is None:
        return "ser2net is not installed (Debian: `apt-get install ser2net`, which `make lab` runs as root)"
    return None


if __name__ == "__main__":
    reason = missing()
    print(reason or "labgrid and ser2net are installed")
    raise SystemExit(1 if reason else 0)
