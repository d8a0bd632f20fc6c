"""`mpk rig`: a HIL rack on several hosts, through labgrid (host_tools/rack/).

    mpk rig export -o shelf1.yaml --name shelf1 --places   # this host's boards, for labgrid-exporter
    mpk rig places                                         # the coordinator's places: tags, holder
"""
import json
import socket
import sys

DESCRIPTION = ("The boards of a rack are shared through labgrid: a coordinator, an exporter on each "
               "host with boards, places that jobs acquire (`mpk hil --board labgrid:PLACE`). "
               "`export` describes this host's boards (as `mpk devices` finds them) as the exporter's "
               "configuration and, with --places, creates their places on the coordinator "
               "($LG_COORDINATOR) with the board's kind and features as tags. `places` lists them.")


def arguments(p):
    sub = p.add_subparsers(dest="rig_command", metavar="ACTION", required=True)
    e = sub.add_parser("export", help="this host's boards as a labgrid exporter configuration (and places)")
    e.add_argument("--name", default=None,
                   help="the exporter's name (labgrid-exporter -n NAME; default: this host's name)")
    e.add_argument("-o", "--output", metavar="FILE", help="write the configuration here (default: stdout)")
    e.add_argument("--feature", action="append", default=[], metavar="F",
                   help="a feature every board of this host has (its wiring, e.g. loopback): a tag F=yes")
    e.add_argument("--places", action="store_true",
                   help="also create or update one place per board on the coordinator ($LG_COORDINATOR)")
    e.add_argument("--no-probe", action="store_true",
                   help="do not ask USB boards what they are (their kind then comes from the VID:PID)")
    e.set_defaults(rig=export)
    pl = sub.add_parser("places", help="the coordinator's places: tags and who holds them")
    pl.add_argument("--json", action="store_true", help="JSON for scripts")
    pl.set_defaults(rig=places)


def run(args):
    return args.rig(args)


def export(args):
    from host_tools import link
    from host_tools.rack import export as rack_export

    name = args.name or rack_export._name(socket.gethostname().split(".")[0])
    boards = rack_export.boards(probe=None if args.no_probe else link.probe, extra_features=args.feature)
    text = rack_export.exporter_config(boards, name)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    registered = {}
    if args.places:
        from host_tools.rack.client import Client

        registered = dict(rack_export.register_places(boards, name, Client()))
    for b in boards:
        place = rack_export.place_name(b, name)
        print("%s/%s: %s (%s)%s" % (name, b["group"], b["port"], b["kind"] or "unknown board",
                                     " -> place %s" % place if place in registered else ""), file=sys.stderr)
    if not boards:
        print("mpk rig export: no board found on this host", file=sys.stderr)
    return 0


def places(args):
    from host_tools.rack.client import Client

    found = Client().places()
    if args.json:
        print(json.dumps({n: {"tags": p["tags"], "acquired": p["acquired"], "matches": p["matches"]}
                          for n, p in found.items()}, indent=1))
        return 0
    for n, p in sorted(found.items()):
        t = p["tags"]
        short = ["kind=%s" % t["kind"]] if "kind" in t else []
        short += ["%s=%s" % kv for kv in sorted(t.items()) if kv[0] != "kind" and kv[1] != "yes"]
        flags = sorted(k for k, v in t.items() if v == "yes")
        print("%-28s %-22s %s%s" % (n, p["acquired"] or "free", " ".join(short),
                                    (" +" + ",".join(flags)) if flags else ""))
    return 0
