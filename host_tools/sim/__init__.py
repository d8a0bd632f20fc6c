"""The virtual board: a MicroPython board on a pseudo-terminal (`mpk sim`)."""
from host_tools.sim.virtual_board import VirtualBoard

__all__ = ["VirtualBoard"]
