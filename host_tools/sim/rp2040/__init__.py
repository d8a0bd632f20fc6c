"""The emulated Pico: the official MicroPython firmware on rp2040js (`mpk sim --engine rp2040`)."""
from host_tools.sim.rp2040.board import EmulatedPico

__all__ = ["EmulatedPico"]
