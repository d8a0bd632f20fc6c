"""The wiring file: what is connected to the virtual board's pins and buses.

TOML (or JSON with the same structure):

    wires = [["GP2", "GP3"]]            # pins wired together (a net per list)

    [[button]]                          # a button pressed on a schedule
    pin = "GP14"
    pressed = 0                         # level while pressed (0: button to GND)
    at_ms = 300                         # first press, ms after each boot
    hold_ms = 50
    every_ms = 1000                     # repeat period (0: press once)
    count = 0                           # presses (0: no limit)

    [[i2c]]                             # replaces the default devices
    bus = 0
    addr = 0x48
    device = "tmp102"                   # tmp102, mcp9808, 24c32, ssd1306
    temp_c = 21.5

    [adc]
    GP26 = 32768                        # what read_u16() returns
    core_temp_c = 27.0                  # the RP2040's internal sensor

    [uart.1]
    mode = "socket"                     # or "loopback" (the default)
    host = "127.0.0.1"
    port = 7000

parse() checks everything against the board and returns the plain dict the
board side reads; any mistake is one MpkError line naming the file.
"""
import json
import os

from host_tools.errors import MpkError

# Without a wiring file (or without an [[i2c]] table) I2C bus 0 carries these.
DEFAULT_I2C = [
    {"bus": 0, "addr": 0x48, "device": "tmp102", "temp_c": 25.0},
    {"bus": 0, "addr": 0x50, "device": "24c32"},
    {"bus": 0, "addr": 0x3C, "device": "ssd1306"},
]
DEVICES = ("tmp102", "mcp9808", "24c32", "ssd1306")


def load(source, board):
    """source: a path, a dict, or None."""
    if source is None:
        return parse({}, board, "<default>")
    if isinstance(source, dict):
        return parse(source, board, "<wiring>")
    path = os.fspath(source)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise MpkError(f"cannot read wiring file {path}: {e.strerror}") from None
    try:
        if path.endswith(".json"):
            data = json.loads(raw)
        else:
            import tomllib
            data = tomllib.loads(raw.decode())
    except (ValueError, UnicodeDecodeError) as e:
        raise MpkError(f"wiring file {path} is not valid {'JSON' if path.endswith('.json') else 'TOML'}: {e}") from None
    if not isinstance(data, dict):
        raise MpkError(f"wiring file {path}: expected a table at the top")
    return parse(data, board, path)


def parse(data, board, name):
    def fail(msg):
        raise MpkError(f"wiring file {name}: {msg}")

    def pin(p, where):
        n = board["pins"].get(p) if isinstance(p, str) else None
        if n is None:
            fail(f"{where} names pin {p!r}, which the {board['name']} does not have "
                 f"(pins are GP0..GP28 and LED)")
        return n

    def check_keys(d, allowed, where):
        if not isinstance(d, dict):
            fail(f"{where} must be a table")
        extra = set(d) - set(allowed)
        if extra:
            fail(f"{where} has unknown key {sorted(extra)[0]!r} (allowed: {', '.join(allowed)})")

    def number(d, key, where, default, lo=0, hi=None):
        v = d.get(key, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < lo or (hi is not None and v > hi):
            fail(f"{where}: {key} must be a number" + (f" in {lo}..{hi}" if hi is not None else f" >= {lo}"))
        return v

    check_keys(data, ("wires", "button", "i2c", "adc", "uart"), "the file")
    out = {"nets": [], "buttons": [], "i2c": [], "adc": {}, "uart": {}}

    # Nets: lists sharing a pin are merged.
    nets = []
    wires = data.get("wires", [])
    if not isinstance(wires, list):
        fail("wires must be a list of pin lists")
    for i, w in enumerate(wires):
        if not isinstance(w, list) or len(w) < 2:
            fail(f"wires[{i}] must list two or more pins")
        s = {pin(p, f"wires[{i}]") for p in w}
        for other in [n for n in nets if n & s]:
            nets.remove(other)
            s |= other
        nets.append(s)
    out["nets"] = [sorted(n) for n in nets]

    buttons = data.get("button", [])
    if isinstance(buttons, dict):
        buttons = [buttons]
    for i, b in enumerate(buttons):
        where = f"button[{i}]"
        check_keys(b, ("pin", "pressed", "at_ms", "hold_ms", "every_ms", "count"), where)
        if "pin" not in b:
            fail(f"{where} needs a pin")
        hold = number(b, "hold_ms", where, 50, 1)
        every = number(b, "every_ms", where, 0)
        if every and every <= hold:
            fail(f"{where}: every_ms must be longer than hold_ms")
        out["buttons"].append({
            "pin": pin(b["pin"], where),
            "level": number(b, "pressed", where, 0, 0, 1),
            "at_ms": int(number(b, "at_ms", where, 100)),
            "hold_ms": int(hold),
            "every_ms": int(every),
            "count": int(number(b, "count", where, 0 if every else 1)),
        })

    devs = data.get("i2c", DEFAULT_I2C)
    if isinstance(devs, dict):
        devs = [devs]
    seen = set()
    for i, d in enumerate(devs):
        where = f"i2c[{i}]"
        check_keys(d, ("bus", "addr", "device", "temp_c"), where)
        kind = d.get("device")
        if kind not in DEVICES:
            fail(f"{where}: device must be one of {', '.join(DEVICES)}")
        bus = int(number(d, "bus", where, 0, 0, 1))
        if "addr" not in d:
            fail(f"{where} needs an addr")
        addr = int(number(d, "addr", where, 0, 0x08, 0x77))
        if (bus, addr) in seen:
            fail(f"{where}: two devices at address {addr:#04x} on bus {bus}")
        seen.add((bus, addr))
        spec = {"bus": bus, "addr": addr, "device": kind}
        if kind in ("tmp102", "mcp9808"):
            spec["temp_c"] = float(number(d, "temp_c", where, 25.0, -273))
        out["i2c"].append(spec)

    adc = data.get("adc", {})
    check_keys(adc, ["GP26", "GP27", "GP28", "core_temp_c"], "adc")
    for k, v in adc.items():
        if k == "core_temp_c":
            out["adc"]["temp_c"] = float(number(adc, k, "adc", 0, -273))
        else:
            out["adc"][str(pin(k, "adc"))] = int(number(adc, k, "adc", 0, 0, 65535))

    uarts = data.get("uart", {})
    check_keys(uarts, ["0", "1"], "uart")
    for k, u in uarts.items():
        where = f"uart.{k}"
        check_keys(u, ("mode", "host", "port"), where)
        mode = u.get("mode", "loopback")
        if mode == "loopback":
            out["uart"][k] = {"mode": mode}
        elif mode == "socket":
            out["uart"][k] = {"mode": mode, "host": str(u.get("host", "127.0.0.1")),
                              "port": int(number(u, "port", where, None, 1, 65535) if "port" in u else fail(f"{where} needs a port"))}
        else:
            fail(f"{where}: mode must be loopback or socket")
    return out
