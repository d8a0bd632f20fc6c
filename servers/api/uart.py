# The uart server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/uart.py) or its hardware.
from servers.lib.base import Client, BADREQ, BUSY, DENIED, NOENT

PROTOCOL = {
    "open": ((("bus", int, -1), ("baudrate", int, 115200), ("bits", int, 8), ("parity", None, None),
              ("stop", int, 1)), "the bus id opened", (NOENT, BUSY, BADREQ)),
    "close": ((("bus", int, -1),), "True", (NOENT, DENIED)),
    "write": ((("data", bytes), ("bus", int, -1)), "bytes written", (NOENT, DENIED)),
    "read": ((("n", int, -1), ("bus", int, -1)), "bytes that have arrived (at most n; b'' if none)",
             (NOENT, DENIED)),
    "any": ((("bus", int, -1),), "number of bytes waiting", (NOENT, DENIED)),
    "buses": ((), "the bus ids this board has (-1 means the first)", ()),
}


def client(name="uart", timeout=None):
    return Client(PROTOCOL, name, timeout)
