# Board side of on-board copies (mpk deploy: files already right in the running tree are
# copied into the idle one instead of sent). Prints, a line per pair in order, the
# CRC-32 of what it wrote (8 hex digits) or "-" where the port has no crc32, so the host
# checks each copy against its own build without reading it back (the running tree's
# file may not be what its .sums says, if it was changed by hand: this is where that is
# caught). A CRC, as for files sent (receive.py): a sixth of sha256's time on a Pico.
try:
    from binascii import crc32
except ImportError:
    crc32 = None


def copy(pairs):
    buf = bytearray(1024)     # (a live update copies beside the running system: a small block)
    mv = memoryview(buf)
    for src, dst in pairs:
        c = 0
        with open(src, "rb") as i:
            with open(dst, "wb") as o:
                while True:
                    n = i.readinto(buf)
                    if not n:
                        break
                    o.write(mv[:n])
                    if crc32 is not None:
                        c = crc32(mv[:n], c)
        print("-" if crc32 is None else "%08x" % c)
