"""Finding boards: serial ports recognised by USB VID:PID, running virtual boards, and probing.

`candidate_ports()` is cheap (nothing is opened) and is what port selection uses.
the link's `probe(port)` (host_tools/link.py) asks the board itself (sys.implementation,
os.uname(), free flash).
"""
import os

import serial.tools.list_ports

# (vid, pid or None for any) -> what it is
KNOWN_USB = [
    ((0x2E8A, 0x0005), "Raspberry Pi RP2 (MicroPython)"),
    ((0x2E8A, 0x0003), "Raspberry Pi RP2040 in BOOTSEL mode"),
    ((0x2E8A, 0x000F), "Raspberry Pi RP2350 in BOOTSEL mode"),
    ((0x2E8A, None), "Raspberry Pi RP2"),
    ((0xF055, None), "MicroPython board"),
    ((0x303A, None), "Espressif USB"),
    ((0x10C4, 0xEA60), "Silicon Labs CP210x USB-serial"),
    ((0x1A86, 0x7523), "WCH CH340 USB-serial"),
    ((0x1A86, 0x55D4), "WCH CH9102 USB-serial"),
    ((0x1A86, 0x55D3), "WCH CH343 USB-serial"),
    ((0x0403, 0x6001), "FTDI FT232 USB-serial"),
    ((0x0403, 0x6015), "FTDI FT231X USB-serial"),
]


def usb_kind(vid, pid):
    """What a VID:PID is, or None when it is not a board we know."""
    if vid is None:
        return None
    for (kv, kp), name in KNOWN_USB:
        if kv == vid and (kp is None or kp == pid):
            return name
    return None


def usb_ports(comports=None):
    """Serial ports whose USB VID:PID belongs to a known board or USB-serial bridge."""
    if comports is None:
        comports = serial.tools.list_ports.comports()
    found = []
    for p in sorted(comports, key=lambda p: p.device):
        kind = usb_kind(getattr(p, "vid", None), getattr(p, "pid", None))
        if kind:
            found.append(
                {
                    "port": p.device,
                    "kind": "usb",
                    "usb": "%04x:%04x" % (p.vid, p.pid),
                    "description": kind,
                    "serial_number": getattr(p, "serial_number", None),
                    "product": getattr(p, "product", None),
                }
            )
    return found


def virtual_ports():
    """Running virtual boards (`mpk sim`, either engine), as device dicts; the stable link
    is the port when the board has one."""
    from host_tools.sim import registry

    seen, out = set(), []
    for info in registry.running():
        port = info.get("link") or info["port"]
        if port in seen or not os.path.exists(port):
            continue
        seen.add(port)
        emulated = info.get("engine") == "rp2040"
        out.append({"port": port, "kind": "virtual", "usb": None, "engine": info.get("engine", "unix"),
                    "description": "%s (mpk sim%s)" % (
                        "emulated RP2040, official firmware" if emulated else "virtual board",
                        " --engine rp2040" if emulated else "")})
    return out


def discover(comports=None, virtual=True):
    found = usb_ports(comports)
    # A BOOTSEL-mode RP2 has no MicroPython serial port.
    found = [d for d in found if "BOOTSEL" not in d["description"]]
    if virtual:
        found += virtual_ports()
    return found


def candidate_ports(comports=None):
    return [d["port"] for d in discover(comports)]
