# Repository root on sys.path, so tests import kernel/, servers/, boards/ and host_tools/
# exactly as the board and the host tool do.
import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))

# tests/hil holds on-device modules: they run on a (virtual) board, not in this process.
collect_ignore = [os.path.join("tests", "hil")]
