# The template server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/template.py) or its hardware.
from servers.lib.base import Client, NOENT, QUOTA

PROTOCOL = {
    "add": ((("key", str), ("n", int, 1)), "the new value", (QUOTA,)),
    "get": ((("key", str),), "the value", (NOENT,)),
    "keys": ((), "list of this client's keys", ()),
}


def client(name="counter", timeout=None):
    return Client(PROTOCOL, name, timeout)
