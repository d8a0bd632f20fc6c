# The system image check: what firmware/system.py says must add up on the board it is
# for, before anything starts. It runs in `mpk build` (host), in the tests, and at boot
# (firmware/main.py), and refuses a bad image with one line that names the task:
#   an unknown key, module, entry or config key; a talks_to naming no task; a pin or bus
#   owned twice, or reserved by the board; hardware the board does not have; an irq
#   source routed twice; a mailbox over the board's limit; a bad priority or policy.
#
#   tasks = image.tasks_for(board, IMAGE)   # the checked entries for this board, owns
#                                           # expanded (absent keys: SPEC's defaults)
import sys
from servers.supervisor import SPEC, POLICIES, CONFIG as SUPERVISOR_CONFIG

TOP_KEYS = ("board", "kernel", "tasks", "srv")
IRQ_SOURCES = ("pin", "timer")
BUS_KINDS = ("i2c", "spi", "uart")
FEATURES = {"wifi": "HAS_WIFI"}      # a "needs" value -> the board data that says so
BOOT_KEYS = ("tasks", "limits", "reset", "postmortem")   # the firmware sets these


class ImageError(ValueError):
    pass


def _refuse(name, text):
    raise ImageError("image: task %s: %s" % (name, text) if name else "image: " + text)


def applies(entry, board):
    # Whether an entry runs on this board ("boards", "needs").
    only = entry.get("boards")
    if only is not None and board.NAME not in only:
        return False
    need = entry.get("needs")
    if need is not None:
        if need not in FEATURES:
            _refuse(entry.get("name"), "needs %r, which is not a feature (%s)"
                    % (need, ", ".join(sorted(FEATURES))))
        return bool(getattr(board, FEATURES[need], False))
    return True


def _pin_key(board, name, pin):
    # "pin:GPn" for a pin the board has (a number, "GPn", or a name in board.PINS).
    v = board.PINS.get(pin, pin)
    if type(v) is str and v.startswith("GP") and v[2:].isdigit():
        v = int(v[2:])
    if type(v) is int and v in board.GPIOS:
        return "pin:GP%d" % v
    if type(v) is str:               # a pin only the port names ("LED" on the Pico W)
        return "pin:" + v
    _refuse(name, "owns %r, a pin %s does not have" % (pin, board.NAME))


def resources(board, name, owns):
    # The claim keys an entry's owns stands for: a bus brings its pins; "i2c" alone is
    # the board's first I2C bus (likewise "spi", "uart").
    keys = []
    for r in owns:
        if type(r) is not str:
            _refuse(name, "owns %r: resources are strings like \"i2c:0\"" % (r,))
        kind, _, which = r.partition(":")
        if kind in BUS_KINDS:
            table = getattr(board, kind.upper())
            if not which:
                if not table:
                    _refuse(name, "owns %s, and %s has none" % (r, board.NAME))
                which = str(min(table))
            if not which.lstrip("-").isdigit() or int(which) not in table:
                _refuse(name, "owns %s, a bus %s does not have (%s: %s)" % (
                    r, board.NAME, kind, ", ".join(str(b) for b in sorted(table))))
            keys.append("%s:%s" % (kind, which))
            for role, pin in sorted(table[int(which)].items()):
                if role != "freq":
                    keys.append("pin:GP%d" % pin)
        elif kind == "pin":
            keys.append(_pin_key(board, name, which))
        elif kind == "wdt":
            keys.append("wdt")
        elif kind == "wlan":
            if not getattr(board, "HAS_WIFI", False):
                _refuse(name, "owns wlan, and %s has no radio" % board.NAME)
            keys.append("wlan")
        else:
            _refuse(name, "owns %r: not a resource (i2c:N, spi:N, uart:N, pin:NAME, wdt, wlan)" % r)
    return keys


def reserved(board):
    # Claim keys of the pins the board keeps for itself (flash, radio, power).
    return ["pin:GP%d" % p for p in getattr(board, "RESERVED", ())]


def _entry_module(entry):
    mod = entry.get("module") or "servers." + entry["name"]
    try:
        __import__(mod)
    except ImportError as e:
        _refuse(entry["name"], "module %s cannot be imported (%s)" % (mod, e))
    return sys.modules[mod]


def _check_entry(e, limits):
    name = e.get("name")
    if type(name) is not str or not name:
        _refuse(None, "an entry without a name: %r" % (sorted(e),))
    for k in e:
        if k not in SPEC or k in ("fn", "args"):
            _refuse(name, "unknown key %r" % k)
    prio = e.get("prio", SPEC["prio"])
    if type(prio) is not int or not 0 <= prio <= 7:
        _refuse(name, "prio %r is not 0..7" % (prio,))
    mb = e.get("mailbox")
    top = limits.get("mailbox_max", 256)
    if mb is not None and (type(mb) is not int or not 1 <= mb <= top):
        _refuse(name, "mailbox %r is over the board's limit of %d" % (mb, top))
    if e.get("restart", SPEC["restart"]) not in POLICIES:
        _refuse(name, "restart must be one of %s" % ", ".join(POLICIES))
    mod = _entry_module(e)
    entry = getattr(mod, e.get("entry", SPEC["entry"]), None)
    if entry is None:
        _refuse(name, "%s has no %s()" % (mod.__name__, e.get("entry", SPEC["entry"])))
    known = getattr(mod, "CONFIG", None)
    config = e.get("config") or {}
    if type(config) is not dict:
        _refuse(name, "config must be a dict of keyword settings")
    if known is None and config:
        _refuse(name, "config given, but %s takes none (it has no CONFIG)" % mod.__name__)
    for k in config:
        if k not in known or (name == "supervisor" and k in BOOT_KEYS):
            _refuse(name, "unknown config key %r (%s takes: %s)" % (
                k, mod.__name__, ", ".join(sorted(x for x in known if not (
                    name == "supervisor" and x in BOOT_KEYS)))))


def tasks_for(board, image):
    # The entries that run on board, checked as a whole, each complete and with owns
    # expanded to claim keys. Raises ImageError (one line) for a bad image.
    for k in image:
        if k not in TOP_KEYS:
            _refuse(None, "unknown key %r (an image has: %s)" % (k, ", ".join(TOP_KEYS)))
    if type(image.get("srv", True)) is not bool:
        _refuse(None, "srv must be True or False")
    limits = getattr(board, "LIMITS", {})
    entries = [e for e in image.get("tasks", ()) if _applies_checked(e, board)]
    names = set()
    for e in entries:
        _check_entry(e, limits)
        if e["name"] in names:
            _refuse(e["name"], "named twice")
        names.add(e["name"])
    if len(entries) > limits.get("tasks", 1 << 30):
        _refuse(None, "%d tasks, over the board's limit of %d" % (len(entries), limits["tasks"]))
    if entries and entries[0]["name"] != "supervisor":
        _refuse(None, "the first entry must be the supervisor (it starts the others)")
    # talks_to may name a task that runs on other boards only (net where there is no
    # radio): a misspelt name is still refused.
    anywhere = set(e.get("name") for e in image.get("tasks", ()) if type(e) is dict)
    owner = {k: "the board (reserved)" for k in reserved(board)}
    irq = {}
    out = []
    for e in entries:
        name = e["name"]
        for t in e.get("talks_to") or ():
            if t not in anywhere:
                _refuse(name, "talks_to %r, which is no task in the image" % (t,))
        keys = resources(board, name, e.get("owns") or ())
        for k in keys:
            if k in owner and owner[k] != name:
                _refuse(name, "owns %s, which %s owns already" % (k, owner[k]))
            owner[k] = name
        for src in e.get("irqs") or ():
            if src not in IRQ_SOURCES:
                _refuse(name, "irq %r is not a source (%s)" % (src, ", ".join(IRQ_SOURCES)))
            if src in irq:
                _refuse(name, "irq %s is routed to %s already" % (src, irq[src]))
            irq[src] = name
        s = dict(e)                  # the supervisor reads absent keys from SPEC
        s.pop("boards", None)
        s.pop("needs", None)
        s["owns"] = tuple(keys)      # a tuple, even empty: the task claims only these
        if s.get("irqs"):
            s["irqs"] = tuple(s["irqs"])
        if s.get("config") is None:
            s["config"] = {}         # the image's own dict otherwise: main(**config) copies it
        if s.get("mailbox") is None:
            s["mailbox"] = limits.get("mailbox", 8)
        out.append(s)
    return out


def _applies_checked(e, board):
    if type(e) is not dict:
        _refuse(None, "a task entry must be a dict, not %r" % (type(e).__name__,))
    return applies(e, board)


def entry(image, name):
    # The image's entry called name.
    for e in image["tasks"]:
        if e["name"] == name:
            return e
    raise KeyError(name)


def without(image, names, **config):
    # A copy of image without the tasks in names (and without them in talks_to), with
    # config changes for the others: without(IMAGE, ("watchdog",), fs={"root": "/t"}).
    out = dict(image)
    tasks = []
    for e in image["tasks"]:
        if e["name"] in names:
            continue
        e = dict(e)
        if e.get("talks_to"):
            e["talks_to"] = tuple(t for t in e["talks_to"] if t not in names)
        if e["name"] in config:
            e["config"] = dict(e.get("config") or {}, **config[e["name"]])
        tasks.append(e)
    out["tasks"] = tasks
    return out


def check(image, board):
    # None if the image is good for board, else the one-line reason.
    try:
        tasks_for(board, image)
    except ImageError as e:
        return str(e)
    return None


def main(argv=None):
    # `python -m firmware.image BOARD`: what `mpk build` runs in the project's tree.
    import boards
    from firmware import system

    argv = sys.argv[1:] if argv is None else argv
    board = boards.load(argv[0]) if argv else boards.current()
    why = check(system.IMAGE, board)
    if why:
        print(why)
        return 1
    print("image: %d tasks for %s" % (len(tasks_for(board, system.IMAGE)), board.NAME))
    return 0


if __name__ == "__main__":
    sys.exit(main())
