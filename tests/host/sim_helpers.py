"""Helpers for the virtual-board tests (imported by tests/host/conftest.py and the tests)."""
import os
import subprocess
import sys

BIN = os.path.dirname(sys.executable)
MPREMOTE = os.path.join(BIN, "mpremote")
AMPY = os.path.join(BIN, "ampy")


def run_tool(*args, timeout=30, input=None):
    """Run an external client; returns CompletedProcess (stdout/stderr as bytes)."""
    return subprocess.run(list(args), capture_output=True, timeout=timeout, input=input)
