"""EmulatedPico: the official MicroPython firmware on an emulated RP2040, on a pseudo-terminal.

The same interface as VirtualBoard (host_tools/sim/virtual_board.py): start()/stop(),
kill(), restart(), port, events, error, output()/wait_output(). The chip runs in a Node
process (emulator.mjs, on rp2040js); this side owns what outlives the chip: the serial
port, the flash image's lock, and the simulated I2C devices (host_tools/sim/board/
simdevices.py, the same definitions the unix-port board uses), which the chip's I2C
controller reaches byte by byte through the relay.

A reboot (machine.reset(), the watchdog, restart(), run_reset()) keeps the port: what the
board had not yet read is lost, and what a client sends while the chip restarts and its
USB enumerates again waits for it (a real Pico's port is simply absent for that moment).
With reenumerate=True the port itself goes away at a reboot and comes back as a new
pseudo-terminal once USB is up again (the link, if any, follows it), as a real Pico's
ttyACM does.
"""
import hashlib
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import threading

from host_tools.errors import MpkError
from host_tools.sim import boards, wiring as wiring_mod
from host_tools.sim.board import simdevices
from host_tools.sim.rp2040.image import Rp2040Flash, find_firmware
from host_tools.sim.board_base import SimBoard
from host_tools.sim.serial_port import SerialPort

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "emulator.mjs")
SIMWORLD = os.path.join(HERE, "simworld.py")     # the board side of the outside world
BOOTROM_SIZE = 16384
START_TIMEOUT_S = 30.0
EVENT_NAMES = {"watchdog": "watchdog reset", "reset": "hard reset", "run": "run reset",
               "power-on": "power-on", "crash": "crash"}


def find_node():
    for c in (os.environ.get("MPK_NODE"), shutil.which("node")):
        if c and os.access(c, os.X_OK):
            return c
    raise MpkError("Node.js (node, version 18 or newer) is needed for the emulated Pico and was not "
                   "found: install it or set MPK_NODE")


def find_bootrom(explicit=None):
    path = explicit or os.environ.get("MPK_RP2040_BOOTROM")
    if not path:
        raise MpkError("the RP2040 boot ROM is needed for the emulated Pico: get rp2040-bootrom-b1.bin "
                       "(16384 bytes, from the raspberrypi/pico-bootrom repository) and set "
                       "MPK_RP2040_BOOTROM or pass --bootrom FILE")
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise MpkError(f"cannot read the boot ROM {path}: {e.strerror}") from None
    if size != BOOTROM_SIZE:
        raise MpkError(f"{path} is {size} bytes, not an RP2040 boot ROM ({BOOTROM_SIZE} bytes)")
    return os.path.abspath(path)


def board_definition(name):
    """The board's module in boards/ (the firmware's own data: pins, buses)."""
    from host_tools import board_defs

    return board_defs.load(name)


def _check_emulator_installed():
    if not os.path.isfile(os.path.join(HERE, "node_modules", "rp2040js", "package.json")):
        raise MpkError("the rp2040js emulator is not installed: run `make setup` "
                       "(npm ci in host_tools/sim/rp2040)")


class EmulatedPico(SimBoard):
    """with EmulatedPico(flash=None, firmware=None, wiring=None, link=None) as b: b.port

    flash: image path (made from the firmware if missing; None: a temporary one);
    firmware: a UF2 (default: $MPK_PICO_FIRMWARE, the firmware caches); written into an
    existing image too, keeping its files; bootrom: the RP2040 B1 ROM ($MPK_RP2040_BOOTROM).
    """

    RUN_PREFIX = "mpk-emu-"

    engine = "rp2040"

    def __init__(self, flash=None, firmware=None, wiring=None, link=None, bootrom=None,
                 board="pico", reenumerate=False):
        self.board = boards.get(board)
        if "flash_total" not in self.board:
            raise MpkError(f"the {board} cannot be emulated (only the pico: the Pico W's radio is not)")
        self.wiring = wiring_mod.load(wiring, self.board)
        self._flash_path = flash
        self._firmware = firmware
        self._bootrom = bootrom
        self._link = link
        self.reenumerate = reenumerate
        self.port = None
        self.events = []
        self.error = None
        self._init_log()
        self._proc = None
        self._thread = None
        self._serial = None
        self.flash = None
        self._run_dir = None
        self._stop = False

    # --- lifecycle --------------------------------------------------------------------------
    def _setup(self):
        node = find_node()
        _check_emulator_installed()
        bootrom = find_bootrom(self._bootrom)
        path = self._flash_path or os.path.join(self._run_dir, "flash.img")
        firmware = self._firmware
        if firmware is None and not os.path.exists(path):
            firmware = find_firmware()
        self.flash = Rp2040Flash(path, self.board).open(firmware)
        self.firmware = firmware
        self.devices = {(d["bus"], d["addr"]): simdevices.make(d) for d in self.wiring["i2c"]}
        try:
            self._serial = SerialPort(self._link)
        except OSError as e:
            raise MpkError(f"cannot create link {self._link}: {e.strerror}") from None
        self.port = self._serial.path
        uid = hashlib.sha256(self.flash.path.encode()).digest()[:8]
        bus_pins = board_definition(self.board["name"]).I2C
        cfg = {
            "board": self.board["name"],
            "i2c_pins": {b: [p["sda"], p["scl"]] for b, p in bus_pins.items()},
            "bootrom": bootrom,
            "flash": self.flash.path,
            "flash_size": self.board["flash_total"],
            "unique_id": uid.hex(),
            "wiring": {"nets": self.wiring["nets"], "buttons": self.wiring["buttons"],
                       "i2c": [{"bus": d["bus"], "addr": d["addr"]} for d in self.wiring["i2c"]],
                       "adc": self.wiring["adc"], "uart": self.wiring["uart"]},
        }
        cfg_path = os.path.join(self._run_dir, "emulator.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        self._stderr = open(os.path.join(self._run_dir, "emulator.log"), "w+b")
        self._proc = subprocess.Popen([node, EMULATOR, cfg_path], cwd=HERE, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._stderr, start_new_session=True)
        os.set_blocking(self._proc.stdout.fileno(), False)
        self._frames = bytearray()
        self._inbuf = bytearray()
        self._usb_up = False
        self._up = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._loop, name="emulated-pico", daemon=True)
        self._thread.start()
        if not self._up.wait(START_TIMEOUT_S) or self.error:
            raise MpkError(self.error or "the emulated Pico did not bring up its USB port within %d s" % START_TIMEOUT_S)

    def stop(self):
        """Power off: the chip stops (what was written to flash stays), the port goes."""
        self._stop = True
        self._send_ctl({"op": "quit"})
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._end_process()
        self._release(("_wake_r", "_wake_w"))

    def kill(self):
        """Vanish abruptly, as a board yanked from USB: the emulator is killed, the port goes."""
        if self._proc is not None and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGKILL)
        self.stop()

    def restart(self):
        """Power-cycle (flash kept)."""
        self._send_ctl({"op": "reset", "power": True, "why": "power-on"})

    def run_reset(self):
        """Pull RUN low, as the reset button does (flash kept; reset_cause() says PWRON_RESET)."""
        self._send_ctl({"op": "reset", "why": "run"})

    def drive(self, pin, level):
        """Drive a pin from outside (0, 1, None to let go), like simboard.drive on the board."""
        self._send_ctl({"op": "drive", "gpio": self.board["pins"][pin], "level": level})

    # --- frames to the chip -------------------------------------------------------------------
    def _send(self, kind, payload):
        p = self._proc
        if p is None or p.poll() is not None:
            return
        try:
            p.stdin.write(struct.pack("<BI", ord(kind), len(payload)) + payload)
            p.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def _send_ctl(self, obj):
        self._send("C", json.dumps(obj).encode())

    def _wake(self):
        if getattr(self, "_wake_w", None) is not None:
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass

    # --- the relay ------------------------------------------------------------------------------
    def _loop(self):
        try:
            self._run()
        except Exception as e:
            self.error = self.error or f"relay failed: {e!r}"
        finally:
            self._up.set()

    def _run(self):
        chip = self._proc.stdout.fileno()
        while not self._stop:
            serial = self._serial
            m = serial.master if serial is not None else None
            rl = [self._wake_r, chip] + ([m] if m is not None else [])
            wl = [m] if (m is not None and self._outbuf) else []
            r, w, _ = select.select(rl, wl, [], 0.2 if self._outbuf else None)
            if self._wake_r in r:
                os.read(self._wake_r, 4096)
            if chip in r:
                try:
                    data = os.read(chip, 65536)
                except BlockingIOError:
                    data = None
                if data == b"":
                    self._on_exit()
                    return
                if data:
                    self._frames += data
                    self._parse()
            if self._outbuf and self._serial is not None:
                self._flush_out(self._serial.master in w)
            if m is not None and m in r and self._serial is serial:
                try:
                    data = os.read(m, 4096)
                except (BlockingIOError, OSError):
                    data = b""
                if data:
                    self._send("S", data)

    def _parse(self):
        buf = self._frames
        while len(buf) >= 5:
            kind, n = struct.unpack_from("<BI", buf)
            if len(buf) < 5 + n:
                break
            payload = bytes(buf[5:5 + n])
            del buf[:5 + n]
            self._on_frame(chr(kind), payload)

    def _on_frame(self, kind, payload):
        if kind == "S":
            self._board_output(payload)
        elif kind == "i":
            self._on_i2c(payload)
        elif kind == "W":
            self._send("W", json.dumps(self._world(payload)).encode())
        elif kind == "E":
            self._on_event(json.loads(payload))

    def _on_i2c(self, payload):
        op, bus, addr = chr(payload[0]), payload[1], payload[2]
        dev = self.devices.get((bus, addr))
        if op == "r":
            self._send("I", dev.read(1) if dev is not None else b"\xff")
        elif dev is None:
            return
        elif op == "b":
            dev.start()
        elif op == "w":
            dev.write(payload[3:])

    def _world(self, payload):
        # ["dev", bus, addr, "get", attr] / ["dev", bus, addr, "set", attr, value] from simworld.
        try:
            req = json.loads(payload)
            if req[0] != "dev":
                return {"error": "unknown request %r" % (req[0],)}
            dev = self.devices.get((req[1], req[2]))
            if dev is None:
                return {"error": "no device at %#04x on I2C bus %d" % (req[2], req[1])}
            attr = req[4]
            if attr.startswith("_"):
                return {"error": "no attribute %r" % attr}
            if req[3] == "set":
                setattr(dev, attr, req[5])
                return {"ok": True}
            v = getattr(dev, attr)
            if isinstance(v, (bytes, bytearray)):
                return {"b": bytes(v).hex()}
            return {"v": v}
        except Exception as e:      # a bad request from the board gets an answer, never a hang
            return {"error": "%s: %s" % (type(e).__name__, e)}

    def _on_event(self, ev):
        kind = ev.get("ev")
        if kind == "usb":
            self._usb_up = True
            if self._serial is None and not self._stop:      # re-enumerated: a new port
                self._serial = SerialPort(self._link)
                self.port = self._serial.path
            self._up.set()
        elif kind == "reset":
            self.events.append(EVENT_NAMES.get(ev.get("why"), ev.get("why")))
            self._usb_up = False
            self._outbuf.clear()
            if self.reenumerate and self._serial is not None:
                self._serial.close()                          # the port vanishes
                self._serial = None
        elif kind == "power-on":
            self.events.append("power-on")
        elif kind == "fatal":
            self.error = ev.get("text")

    def _on_exit(self):
        if not self._stop:
            self._proc.wait(5)
            self._stderr.seek(0)
            lines = [l.strip() for l in self._stderr.read().decode(errors="replace").splitlines() if l.strip()]
            errors = [l for l in lines if "Error" in l.split(":")[0]]     # node's "TypeError: ..."
            self.error = self.error or "the emulator stopped (exit status %s): %s" % (
                self._proc.returncode, (errors or lines or ["no message"])[-1])
        self._stop = True

    def _end_process(self):
        p = self._proc
        if p is None:
            return
        try:
            p.wait(3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(3)
        for f in (p.stdin, p.stdout):
            try:
                f.close()
            except (OSError, BrokenPipeError):
                pass
        self._stderr.close()
        self._proc = None
