"""`mpk devices`: serial ports with a MicroPython board behind them, and running virtual boards."""
import json

from host_tools import devices, link


def arguments(p):
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument("--no-probe", action="store_true",
                   help="do not ask the boards (by default each one is asked, then soft-reset)")


def run(args):
    found = devices.discover()
    if not args.no_probe:
        for d in found:
            d["board"] = link.probe(d["port"])
    if args.json:
        print(json.dumps(found, indent=1))
        return 0
    if not found:
        print("no board found (plug one in, or start a virtual board with `mpk sim`)")
        return 0
    for d in found:
        line = "%-16s %-8s %-10s %s" % (d["port"], d["kind"], d.get("usb") or "-", d["description"])
        info = d.get("board")
        if info:
            if "error" in info:
                line += "  [%s]" % info["error"]
            else:
                free = info.get("flash_free")
                line += "  %s %s on %s, mpy %s%s%s" % (
                    info["implementation"], info["version"], info.get("machine") or info.get("platform"),
                    info.get("mpy_version"), " " + info["arch"] if info.get("arch") else "",
                    ", %d KB flash free" % (free // 1024) if free is not None else "")
        print(line)
    return 0
