# The adc server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/adc.py) or its hardware.
from servers.lib.base import Client, BUSY, NOENT, UNAVAIL

PROTOCOL = {
    "read": ((("channel", str),), "raw reading, 0..65535", (NOENT, BUSY)),
    "uv": ((("channel", str),), "microvolts", (NOENT, BUSY)),
    "temp": ((), "the chip's temperature in milli-degrees Celsius", (UNAVAIL,)),
    "channels": ((), "the channel names this board has", ()),
}


def client(name="adc", timeout=None):
    return Client(PROTOCOL, name, timeout)
