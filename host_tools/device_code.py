"""On-device modules the host reads as they are: the board definitions (boards/), the
wire definitions both sides share (firmware/wire.py), the inspection formats
(servers/lib/inspect_format.py). They are plain MicroPython that CPython runs too, kept
in the project beside host_tools/, so one copy serves both sides of the serial line."""
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load(name):
    """The on-device module `name` (e.g. "firmware.wire"), imported from this checkout."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(name)
