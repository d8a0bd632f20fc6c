# The i2c server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/i2c.py) or its hardware.
from servers.lib.base import Client, BADREQ, IO, NOENT

ADDR = (int, 0, 0x3FF)          # 7- or 10-bit addresses

REG = (int, 0, 0xFFFF)          # a register number fits addrsize 16

PROTOCOL = {
    "scan": ((("bus", int, 0),), "list of addresses that answer", (IO, NOENT)),
    "read": ((("addr", ADDR), ("n", int), ("bus", int, 0)), "bytes", (IO, NOENT, BADREQ)),
    "write": ((("addr", ADDR), ("data", bytes), ("bus", int, 0)), "bytes written", (IO, NOENT, BADREQ)),
    "readmem": ((("addr", ADDR), ("reg", REG), ("n", int), ("bus", int, 0), ("addrsize", int, 8)),
                "bytes read from register reg", (IO, NOENT, BADREQ)),
    "writemem": ((("addr", ADDR), ("reg", REG), ("data", bytes), ("bus", int, 0), ("addrsize", int, 8)),
                 "True", (IO, NOENT, BADREQ)),
    "buses": ((), "the bus ids this board has", ()),
    "stats": ((), "dict: transactions, errors, recoveries", ()),
}


def client(name="i2c", timeout=None):
    return Client(PROTOCOL, name, timeout)
