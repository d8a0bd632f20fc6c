# The net server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/net.py) or its hardware.
from servers.lib.base import Client, BADREQ, IO, UNAVAIL

PROTOCOL = {
    "available": ((), "True when the board has a radio", ()),
    "connect": ((("ssid", (str, 32)), ("password", (str, 64), ""), ("timeout_ms", (int, 0, 30000), 15000)),
                "the IP address (str)", (UNAVAIL, IO, BADREQ)),
    "disconnect": ((), "True", (UNAVAIL,)),
    "status": ((), "dict: connected, status (the port's code), ip, ssid", (UNAVAIL,)),
    "scan": ((), "list of (ssid, bssid hex, channel, rssi, security), strongest first", (UNAVAIL, IO)),
    "http_get": ((("url", (str, 256)), ("timeout_ms", (int, 0, 30000), 10000), ("max_bytes", (int, 0, 16384), 4096)),
                 "(status code, body bytes: at most max_bytes)", (UNAVAIL, IO, BADREQ)),
}


def client(name="net", timeout=None):
    return Client(PROTOCOL, name, timeout)
