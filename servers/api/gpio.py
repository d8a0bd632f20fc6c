# The gpio server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/gpio.py) or its hardware.
from servers.lib.base import Client, BADREQ, BUSY, DENIED, NOENT, QUOTA

PROTOCOL = {
    "claim": ((("pin", str), ("mode", str, "in"), ("pull", None, None), ("value", (int, 0, 1), 0)),
              "the pin's canonical name (e.g. 'GP25' for 'LED')", (BUSY, NOENT, BADREQ)),
    "release": ((("pin", str),), "True", (NOENT, DENIED)),
    "mode": ((("pin", str), ("mode", str), ("pull", None, None)), "True", (NOENT, DENIED, BADREQ)),
    "read": ((("pin", str),), "0 or 1", (NOENT, DENIED)),
    "write": ((("pin", str), ("value", (int, 0, 1))), "True", (NOENT, DENIED)),
    "toggle": ((("pin", str),), "the new level", (NOENT, DENIED)),
    "subscribe": ((("pin", str), ("edge", str, "both")),
                  "True; then ('edge', pin, level, t_us, edges) messages arrive",
                  (NOENT, DENIED, QUOTA, BADREQ)),
    "unsubscribe": ((("pin", str),), "True", (NOENT, DENIED)),
    "pins": ((), "list of (pin, owner tid, mode) for the claimed pins", ()),
}


def client(name="gpio", timeout=None):
    return Client(PROTOCOL, name, timeout)
