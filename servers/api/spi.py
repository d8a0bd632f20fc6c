# The spi server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/spi.py) or its hardware.
from servers.lib.base import Client, BADREQ, IO, NOENT

PROTOCOL = {
    "transfer": ((("data", bytes), ("bus", int, -1)), "the bytes clocked in while data was sent",
                 (NOENT, BADREQ, IO)),
    "write": ((("data", bytes), ("bus", int, -1)), "bytes written", (NOENT, BADREQ, IO)),
    "read": ((("n", int), ("bus", int, -1), ("fill", int, 0)), "n bytes read while sending fill",
             (NOENT, BADREQ, IO)),
    "configure": ((("baudrate", int), ("bus", int, -1), ("polarity", int, 0), ("phase", int, 0)),
                  "True", (NOENT, BADREQ)),
    "buses": ((), "the bus ids this board has (-1 means the first)", ()),
}


def client(name="spi", timeout=None):
    return Client(PROTOCOL, name, timeout)
