"""Board-side code that host tools send to a board: real MicroPython files, linted and
unit-tested under the unix port like the firmware, sent as source (comment lines and
blank lines left out: raw-paste costs by the byte)."""
import os

_DIR = os.path.dirname(os.path.abspath(__file__))
_cache = {}


def path(name):
    return os.path.join(_DIR, name + ".py")


def source(name):
    """The agent `name` (host_tools/agent/<name>.py) as the text to send."""
    text = _cache.get(name)
    if text is None:
        with open(path(name)) as f:
            lines = [ln.rstrip() for ln in f]
        text = _cache[name] = "".join(ln + "\n" for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))
    return text
