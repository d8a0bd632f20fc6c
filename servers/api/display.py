# The display server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/display.py) or its hardware.
from servers.lib.base import Client, BADREQ, IO, UNAVAIL

# Coordinates are bounded, so that no drawing op can hold the loop: a line from 0 to
# 2**31 is two billion steps of Bresenham.
XY = (int, -1024, 1024)

COLOUR = (int, 0, 1)

PROTOCOL = {
    "text": ((("s", (str, 64)), ("x", XY, 0), ("y", XY, 0), ("c", COLOUR, 1)),
             "True (8x8 font; x, y: top left)", (BADREQ,)),
    "pixel": ((("x", XY), ("y", XY), ("c", None, None)),
              "the pixel (0/1; None off-screen); sets it first when c is given", (BADREQ,)),
    "line": ((("x1", XY), ("y1", XY), ("x2", XY), ("y2", XY), ("c", COLOUR, 1)), "True", ()),
    "rect": ((("x", XY), ("y", XY), ("w", XY), ("h", XY), ("c", COLOUR, 1), ("fill", bool, False)),
             "True", ()),
    "fill": ((("c", COLOUR, 0),), "True (the whole frame)", ()),
    "show": ((), "True once the panel has the frame", (IO, UNAVAIL)),
    "frame": ((), "bytes: the frame, MONO_VLSB (byte (y//8)*width + x, bit y%8)", ()),
    "size": ((), "(width, height)", ()),
    "power": ((("on", bool),), "True", (IO, UNAVAIL)),
    "contrast": ((("value", (int, 0, 255)),), "True (0..255)", (IO, UNAVAIL, BADREQ)),
    "invert": ((("on", bool),), "True", (IO, UNAVAIL)),
}


def client(name="display", timeout=None):
    return Client(PROTOCOL, name, timeout)
