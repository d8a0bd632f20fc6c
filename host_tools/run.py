"""`make run`: deploy the firmware and show the running system's console.

    python -m host_tools.run [--port PORT] [--sim]

The board is $MPK_PORT, else the one plugged-in board (by USB VID:PID), else a virtual
board started here (flash kept in build/run-sim.img, so redeploys are incremental). The
firmware is deployed with `mpk deploy` (which soft-resets the board: boot.py and
main.py start the system image), then the firmware's console is attached (`mpk console`)
without interrupting the system. Ctrl-] leaves; in the console, Ctrl-C stops the kernel into the
REPL (ps() to look, resume() to run on). Without a terminal (CI, a
pipe) it prints the task table and the last log records once (asked in the console
server's JSON mode), then follows what the board prints, typing nothing into it.
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fail(msg):
    print("make run: " + msg, file=sys.stderr)
    return 1


def _board_port(args):
    if args.port:
        return args.port
    if os.environ.get("MPK_PORT") and not args.sim:
        return os.environ["MPK_PORT"]
    if not args.sim:
        from host_tools import devices

        usb = [d["port"] for d in devices.usb_ports()]
        usb = [p for p in usb if "BOOTSEL" not in p]
        if len(usb) == 1:
            return usb[0]
        if len(usb) > 1:
            raise SystemExit(_fail("several boards plugged in (%s): pass --port" % ", ".join(usb)))
    return None


def _show_system(port):
    # The running system once, through the console server's JSON mode (machine requests:
    # nothing is typed into the board's shell or REPL): the tasks and the last log records.
    from host_tools.errors import MpkError
    from host_tools.live import LiveSession, format_event, format_table

    try:
        with LiveSession(port, "server") as s:
            print(format_table(s.query("ps")))
            for rec in s.query("log")[-5:]:
                print(format_event(rec))
    except MpkError as e:
        print("make run: %s" % e, file=sys.stderr)


def _follow(port, seconds):
    # No terminal to type into (CI, a pipe): show what the board prints, read-only.
    import time

    import serial

    deadline = None if seconds is None else time.monotonic() + seconds
    with serial.Serial(port, 115200, timeout=0.2) as s:
        while deadline is None or time.monotonic() < deadline:
            data = s.read(4096)
            if data:
                sys.stdout.write(data.decode("utf-8", "replace"))
                sys.stdout.flush()


def main(argv=None):
    ap = argparse.ArgumentParser(prog="make run", description=__doc__.splitlines()[0])
    ap.add_argument("--port", help="serial port of the board")
    ap.add_argument("--sim", action="store_true", help="use a virtual board even if one is plugged in")
    ap.add_argument("--for", dest="seconds", type=float, default=None,
                    help="without a terminal: show the console for this many seconds (default: until Ctrl-C)")
    args = ap.parse_args(argv)
    port = _board_port(args)
    vb = None
    if port is None:
        from host_tools.sim import VirtualBoard

        os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
        vb = VirtualBoard(flash=os.path.join(ROOT, "build", "run-sim.img"), board="pico").start()
        port = vb.port
        print("make run: virtual board on %s (no board plugged in)" % port)
    try:
        env = dict(os.environ, PYTHONPATH=ROOT)
        r = subprocess.run([sys.executable, "-m", "host_tools.cli", "deploy", "--port", port], cwd=ROOT, env=env)
        if r.returncode != 0:
            return _fail("deploy failed")
        if sys.stdin.isatty() and args.seconds is None:
            print("make run: console of %s (Ctrl-] to leave)" % port)
            subprocess.run([sys.executable, "-m", "host_tools.cli", "console", "--port", port], cwd=ROOT, env=env)
        else:
            print("make run: no terminal here: the running system, then what it prints (read-only; Ctrl-C "
                  "stops)")
            _show_system(port)
            _follow(port, args.seconds)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if vb is not None:
            vb.stop()


if __name__ == "__main__":
    sys.exit(main())
