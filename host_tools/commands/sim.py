"""`mpk sim`: run a virtual board on a pseudo-terminal until killed."""
import signal
import sys
import threading

from host_tools.sim import VirtualBoard
from host_tools.sim.boards import BOARDS


def register(subparsers):
    p = subparsers.add_parser(
        "sim",
        help="start a virtual board (MicroPython on a pseudo-terminal)",
        description="Start a virtual board and print its serial port as the first line. "
                    "It runs until Ctrl-C or SIGTERM; use the port with mpremote, ampy or mpk.")
    p.add_argument("--link", metavar="PATH", help="also make a symlink to the port at PATH")
    p.add_argument("--flash", metavar="FILE",
                   help="flash image to use (created and formatted if missing; default: a temporary one)")
    p.add_argument("--board", default="pico", metavar="NAME",
                   help="board to simulate: %s (default: pico)" % ", ".join(sorted(BOARDS)))
    p.add_argument("--wiring", metavar="FILE", help="wiring file (TOML or JSON): wires, buttons, I2C devices")
    p.set_defaults(func=run)


def run(args):
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    old = signal.signal(signal.SIGTERM, on_signal)
    board = VirtualBoard(flash=args.flash, board=args.board, wiring=args.wiring, link=args.link)
    board.start()
    try:
        print(board.port, flush=True)
        print(f"mpk sim: {board.board['machine']} on {board.port}"
              + (f" (link {board._serial.link})" if args.link else "")
              + f", flash {board.flash.path if args.flash else '(temporary)'}; Ctrl-C to stop",
              file=sys.stderr, flush=True)
        while not stop.is_set() and board.error is None:
            stop.wait(0.2)
        if board.error:
            from host_tools.errors import MpkError
            raise MpkError(board.error)
    except KeyboardInterrupt:
        pass
    finally:
        board.stop()
        signal.signal(signal.SIGTERM, old)
    return 0
