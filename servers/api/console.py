# The console server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/console.py) or its hardware.
from servers.lib.base import Client, BADREQ

PROTOCOL = {
    "run": ((("line", (str, 256)),), "the command's output (text), as if typed at the console", (BADREQ,)),
    "json": ((("line", (str, 1024)),), "the reply line (PREFIX + JSON) to a JSON-mode request line", (BADREQ,)),
    "quiet": ((("on", bool),), "True: stop (or start) reading and writing the serial console", ()),
}


def client(name="console", timeout=None):
    return Client(PROTOCOL, name, timeout)
