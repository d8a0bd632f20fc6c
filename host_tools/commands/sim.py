"""`mpk sim`: run a virtual board on a pseudo-terminal until killed."""
import signal
import sys
import threading

from host_tools.errors import MpkError
from host_tools.sim import boards as sim_boards

ENGINES = ("unix", "rp2040")


DESCRIPTION = ("Start a virtual board and print its serial port as the first line. "
               "It runs until Ctrl-C or SIGTERM (SIGUSR1 presses its RUN button); use the port "
               "with mpremote, ampy or mpk. Engines: unix (the MicroPython unix port with a "
               "simulated machine module, the default) and rp2040 (the official Pico firmware "
               "on an emulated RP2040).")


def arguments(p):
    p.add_argument("--engine", choices=ENGINES, default="unix",
                   help="unix: the unix port, fast (default); rp2040: the real Pico firmware, emulated")
    p.add_argument("--link", metavar="PATH", help="also make a symlink to the port at PATH")
    p.add_argument("--flash", metavar="FILE",
                   help="flash image to use (created if missing; default: a temporary one)")
    p.add_argument("--board", default="pico", metavar="NAME",
                   help="board to simulate: %s (default: pico; rp2040 engine: pico)" % ", ".join(sim_boards.names()))
    p.add_argument("--wiring", metavar="FILE", help="wiring file (TOML or JSON): wires, buttons, I2C devices")
    p.add_argument("--firmware", metavar="FILE.uf2",
                   help="rp2040 engine: the MicroPython UF2 (default: $MPK_PICO_FIRMWARE, then the "
                        "firmware caches); written into an existing --flash image, keeping its files")
    p.add_argument("--bootrom", metavar="FILE",
                   help="rp2040 engine: the RP2040 B1 boot ROM (default: $MPK_RP2040_BOOTROM)")
    p.add_argument("--reenumerate", action="store_true",
                   help="rp2040 engine: the port vanishes at each reboot and comes back, as a real Pico's does")


def make_board(args):
    if args.engine == "rp2040":
        from host_tools.sim.rp2040 import EmulatedPico

        return EmulatedPico(flash=args.flash, firmware=args.firmware, wiring=args.wiring, link=args.link,
                            bootrom=args.bootrom, board=args.board, reenumerate=args.reenumerate)
    for opt in ("firmware", "bootrom", "reenumerate"):
        if getattr(args, opt):
            raise MpkError(f"--{opt} is for the rp2040 engine (--engine rp2040)")
    from host_tools.sim import VirtualBoard

    return VirtualBoard(flash=args.flash, board=args.board, wiring=args.wiring, link=args.link)


def run(args):
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    board = make_board(args)
    old = signal.signal(signal.SIGTERM, on_signal)
    # Ctrl-C too, explicitly: a process started in the background by a shell (a CI job,
    # `mpk sim &`) inherits SIGINT ignored, and would not stop on it otherwise.
    old_int = signal.signal(signal.SIGINT, on_signal)
    old_usr1 = signal.signal(signal.SIGUSR1, lambda s, f: board.run_reset())
    board.start()
    from host_tools.sim import registry

    try:
        registry.register(board, args.link, args.flash)
        port = board.port
        print(board.port, flush=True)
        print(f"mpk sim: {board.board['machine'] if args.engine == 'unix' else 'Raspberry Pi Pico (emulated RP2040)'}"
              f" on {board.port}" + (f" (link {board._serial.link})" if args.link else "")
              + f", flash {board.flash.path if args.flash else '(temporary)'}; Ctrl-C to stop",
              file=sys.stderr, flush=True)
        while not stop.is_set() and board.error is None:
            stop.wait(0.2)
            if board.port != port and board.port:   # re-enumerated as a new port
                port = board.port
                registry.register(board, args.link, args.flash)
        if board.error:
            raise MpkError(board.error)
    except KeyboardInterrupt:
        pass
    finally:
        registry.unregister()
        board.stop()
        signal.signal(signal.SIGTERM, old)
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGUSR1, old_usr1)
    return 0
