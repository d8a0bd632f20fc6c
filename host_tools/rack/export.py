"""`mpk rig export`: this host's boards as a labgrid exporter configuration, and their places.

The boards are the ones `mpk devices` finds (host_tools/devices.py). Each becomes one
resource group of the exporter, named after what identifies it for good:

  * a USB board by its USB serial number: a USBSerialPort matched on ID_SERIAL_SHORT, so
    the exporter finds the same board after re-plugging, on whatever ttyACMn it gets
    (a serial number two boards share, as cheap USB-serial bridges do, or none: the USB
    topology, /dev/serial/by-path, instead);
  * a running virtual board (`mpk sim`, either engine) by its port: a RawSerialPort on its
    --link (it stays across restarts of `mpk sim`; labgrid wants a path under /dev/), else
    on its pseudo-terminal.

labgrid keeps tags on places, not resources, so the board's facts go to its place
(EXPORTER-GROUP, matching EXPORTER/GROUP/*), created or updated with --places:
kind=<board definition> (pico, esp32, sim, ...), engine=unix|rp2040 for a virtual board,
and <feature>=yes for each feature the HIL suite's `needs` checks (the board definition's,
as host_tools/hil/collect.py gives them, plus --feature for the shelf's wiring), so a job
can take `--board labgrid:kind=pico+wifi=yes`. A place's power switch is the exporter's to
describe: add its resource (NetworkPowerPort, USBPowerPort, ...) to the group by hand.
"""
import json
import os
import re

from host_tools import board_defs, device_code, devices
from host_tools.errors import MpkError

SPEED = 115200


def _name(text):
    """A group or place name part: lower case, [a-z0-9_-]."""
    return re.sub(r"[^a-z0-9_-]+", "_", str(text).lower()).strip("_") or "board"


def tag_key(feature):
    """A feature as a labgrid tag key (labgrid: [a-z][a-z0-9_]+), or None."""
    k = re.sub(r"[^a-z0-9_]", "_", feature.lower())
    return k if re.fullmatch(r"[a-z][a-z0-9_]+", k) else None


def _by_path(port):
    """/dev/serial/by-path/... of a port (its USB topology), or None."""
    d = "/dev/serial/by-path"
    try:
        for n in sorted(os.listdir(d)):
            if os.path.realpath(os.path.join(d, n)) == os.path.realpath(port):
                return os.path.join(d, n)
    except OSError:
        pass
    return None


def _usb_kind(d, probe):
    """The board definition of a USB board: what it says it is, else its VID:PID's only board."""
    if probe is not None:
        info = probe(d["port"])
        uname = info.get("uname") if isinstance(info, dict) else None
        if uname:
            name = device_code.load("boards").from_uname(uname[0], info.get("machine") or uname[-1])
            if name:
                return name
    vid, pid = (int(x, 16) for x in d["usb"].split(":"))
    known = devices._known_usb().get((vid, pid))
    return known[1][0] if known and len(known[1]) == 1 else None


def features(kind, engine=None, extra=()):
    from host_tools.hil import collect

    f = set(collect.features(board_defs.load(kind), extra)) if kind else {"real"} | set(extra)
    if engine == "rp2040":          # the official firmware on an emulated RP2040 (as the HIL runner says)
        f.discard("real")
        f.update(("virtual", "emulated"))
    return f


def boards(found=None, probe=None, extra_features=()):
    """[{group, resource: {CLS: params}, kind, engine, port, note}] of this host's boards."""
    found = devices.discover() if found is None else found
    serials = [d.get("serial_number") for d in found if d["kind"] == "usb"]
    out = []
    for d in found:
        if d["kind"] == "usb":
            kind = _usb_kind(d, probe)
            serial = d.get("serial_number")
            if serial and serials.count(serial) == 1:
                resource = {"USBSerialPort": {"match": {"ID_SERIAL_SHORT": serial}, "speed": SPEED}}
                group, note = "%s-%s" % (kind or "board", _name(serial)), "USB serial number %s" % serial
            else:
                path = _by_path(d["port"]) or d["port"]
                resource = {"RawSerialPort": {"port": path, "speed": SPEED}}
                group = "%s-%s" % (kind or "board", _name(os.path.basename(path)))
                note = "no serial number of its own: by USB topology" if path != d["port"] else "by port"
            engine = None
        else:
            engine = d.get("engine") or "unix"
            kind = "pico" if engine == "rp2040" else "sim"
            port = d["port"] if d["port"].startswith("/dev/") else os.path.realpath(d["port"])
            if not port.startswith("/dev/"):
                raise MpkError("virtual board on %s: labgrid exports ports under /dev/ only "
                               "(start it with `mpk sim --link /dev/ttyNAME`)" % d["port"])
            resource = {"RawSerialPort": {"port": port, "speed": SPEED}}
            group = "%s-%s" % ("emu" if engine == "rp2040" else "sim", _name(os.path.basename(port)))
            note = d["description"]
        out.append({"group": group, "resource": resource, "kind": kind, "engine": engine,
                    "port": d["port"], "note": note,
                    "features": sorted(features(kind, engine, extra_features))})
    return out


def tags(board, exporter):
    t = {"kind": board["kind"] or "unknown", "exporter": _name(exporter)}
    if board["engine"]:
        t["engine"] = board["engine"]
    for f in board["features"]:
        k = tag_key(f)
        if k and k not in t:
            t[k] = "yes"
    return t


def place_name(board, exporter):
    return "%s-%s" % (_name(exporter), board["group"])


def exporter_config(found, exporter):
    """The exporter's YAML. labgrid reads it as a Jinja2 template whose line statements
    start with '#', so comments are '##'; values are JSON strings, which YAML reads as is."""
    lines = ["## labgrid exporter configuration for %s, written by `mpk rig export`." % exporter,
             "## Run: labgrid-exporter -c COORDINATOR:20408 -n %s --hostname THIS_HOST FILE" % exporter,
             "## Places (mpk rig export --places): one per group, named %s-GROUP." % _name(exporter)]
    for b in found:
        lines.append("")
        lines.append("## %s: %s (%s)" % (b["port"], b["kind"] or "unknown board", b["note"]))
        lines.append("%s:" % b["group"])
        for cls, params in b["resource"].items():
            lines.append("  %s:" % cls)
            for k, v in params.items():
                if isinstance(v, dict):
                    lines.append("    %s:" % k)
                    lines += ["      %s: %s" % (k2, json.dumps(v2)) for k2, v2 in v.items()]
                else:
                    lines.append("    %s: %s" % (k, json.dumps(v)))
    return "\n".join(lines) + "\n"


def register_places(found, exporter, client):
    """Create (or update) one place per board on the coordinator, with its tags. Returns
    [(place, tags)]."""
    done, known = [], client.places()
    for b in found:
        place = place_name(b, exporter)
        t = tags(b, exporter)
        if place not in known:
            client.run("create", place=place)
        match = "%s/%s/*" % (exporter, b["group"])
        if match not in known.get(place, {}).get("matches", ()):
            client.run("add-match", match, place=place)
        client.run("set-tags", *["%s=%s" % kv for kv in sorted(t.items())], place=place)
        done.append((place, t))
    return done
