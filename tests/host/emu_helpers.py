"""What the emulated-Pico tests need: Node, rp2040js installed, the firmware and the boot
ROM (make test points MPK_PICO_FIRMWARE and MPK_RP2040_BOOTROM at them). Where something
is missing the tests skip with the reason, except in CI, where they fail: CI has them all."""
import os

import pytest


def missing():
    """Why the emulated Pico cannot run here, or None."""
    from host_tools.errors import MpkError
    from host_tools.sim.rp2040 import board

    try:
        board.find_node()
        board._check_emulator_installed()
        board.find_bootrom()
    except MpkError as e:
        return str(e)
    fw = os.environ.get("MPK_PICO_FIRMWARE")
    if not fw or not os.path.isfile(fw):
        return "MPK_PICO_FIRMWARE does not name a Pico UF2 (make test sets it)"
    return None


def require():
    why = missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail("the emulated Pico must run in CI: " + why, pytrace=False)
        pytest.skip(why)
