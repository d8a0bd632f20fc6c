"""`mpk flash`: MicroPython onto a Pico (UF2 to its BOOTSEL drive) or an ESP32 (esptool)."""
from host_tools import board_defs, flash as flash_mod
from host_tools.link import add_port_argument
from host_tools.errors import MpkError


def arguments(p):
    p.add_argument("firmware", nargs="?", metavar="FIRMWARE",
                   help="firmware file (.uf2 or ESP32 .bin); omitted: the newest official one for --board")
    p.add_argument("--board", choices=board_defs.flashable(), help="the board (checks the file suits it)")
    add_port_argument(p)
    p.add_argument("--drive", help="the BOOTSEL drive (default: the one mounted drive with INFO_UF2.TXT)")
    p.add_argument("--enter-bootloader", action="store_true",
                   help="ask the running board (--port) to reboot into BOOTSEL mode first")
    p.add_argument("--erase", action="store_true", help="ESP32: erase the whole flash first")
    p.add_argument("--offset", type=lambda s: int(s, 0), help="ESP32: flash offset (default: from the chip)")
    p.add_argument("--offline", action="store_true", help="with --board and no file: use the cache only")
    p.add_argument("--check", action="store_true", help="only check the file, write nothing")


def run(args):
    path = args.firmware
    want = board_defs.firmware(args.board) if args.board else None
    if path is None:
        if not args.board:
            raise MpkError("give a FIRMWARE file, or --board NAME for the newest official MicroPython")
        path = str(flash_mod.firmware_for_board(args.board, offline=args.offline))
        print("firmware: %s" % path)
    kind = flash_mod.firmware_kind(path)
    if kind is None:
        # Let the checker say exactly what the file is.
        if want and want[2] == "esp":
            flash_mod.check_esp(path)
        flash_mod.check_uf2(path)
    if want and kind != want[2]:
        raise MpkError("%s is %s, not a firmware for %s" % (
            path, "a UF2 file (for a Pico)" if kind == "uf2" else "an ESP32 image", args.board))
    chip = want[3] if want else None
    if args.check:
        info = flash_mod.check_uf2(path, chip) if kind == "uf2" else flash_mod.check_esp(path, chip)
        print("ok: %s: %s" % (path, ", ".join("%s=%s" % kv for kv in info.items())))
        return 0
    if kind == "uf2":
        if chip:
            flash_mod.check_uf2(path, chip)
        flash_mod.flash_uf2(path, drive=args.drive, enter_bootloader=args.enter_bootloader, port=args.port)
    else:
        flash_mod.flash_esp(path, port=args.port, erase=args.erase, offset=args.offset, chip=chip)
    return 0
