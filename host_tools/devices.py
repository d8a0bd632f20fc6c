"""Finding boards: serial ports recognised by USB VID:PID, running virtual boards, and probing.

`candidate_ports()` is cheap (nothing is opened) and is what port selection uses.
the link's `probe(port)` (host_tools/link.py) asks the board itself (sys.implementation,
os.uname(), free flash).
"""
import os

import serial.tools.list_ports

_KNOWN = None


def _known_usb():
    """{(vid, pid): (what it is, [boards])}: the USB of each board, in boards/<name>.py."""
    global _KNOWN
    if _KNOWN is None:
        from host_tools import board_defs

        _KNOWN = board_defs.usb()
    return _KNOWN


def usb_kind(vid, pid):
    """What a VID:PID is (and which boards show up as it), or None when no board does."""
    if vid is None:
        return None
    known = _known_usb().get((vid, pid))
    return "%s: %s" % (known[0], ", ".join(known[1])) if known else None


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
    found = usb_ports(comports)     # only the ports of boards running MicroPython (not BOOTSEL)
    if virtual:
        found += virtual_ports()
    return found


def candidate_ports(comports=None):
    return [d["port"] for d in discover(comports)]
