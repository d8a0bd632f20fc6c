# The pwm server's protocol and client: what a task imports to talk to it, without
# loading the server (servers/pwm.py) or its hardware.
from servers.lib.base import Client, BADREQ, BUSY, DENIED, NOENT

FREQ = (int, 1, 125000000)

DUTY = (int, 0, 65535)

PROTOCOL = {
    "start": ((("pin", str), ("freq", FREQ), ("duty_u16", DUTY, 0)), "the pin's canonical name",
              (NOENT, BUSY, BADREQ)),
    "freq": ((("pin", str), ("freq", FREQ)), "True", (NOENT, DENIED, BADREQ)),
    "duty": ((("pin", str), ("duty_u16", DUTY)), "True", (NOENT, DENIED, BADREQ)),
    "status": ((("pin", str),), "(freq, duty_u16)", (NOENT, DENIED)),
    "stop": ((("pin", str),), "True; the pin is free again", (NOENT, DENIED)),
}


def client(name="pwm", timeout=None):
    return Client(PROTOCOL, name, timeout)
