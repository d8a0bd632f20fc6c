"""sys.implementation._mpy decoding, and the names an .mpy file interns (a module of its
own: `mpk deploy` needs it without importing host_tools.devices and pyserial's port
listing)."""

MPY_ARCHS = [None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
             "xtensa", "xtensawin", "rv32imc", "rv64imc"]


def decode_mpy(sys_mpy):
    """sys.implementation._mpy -> (mpy major version, sub version, native arch name or None)."""
    if sys_mpy is None:
        return None, None, None
    arch = sys_mpy >> 10
    return sys_mpy & 0xFF, (sys_mpy >> 8) & 3, MPY_ARCHS[arch] if arch < len(MPY_ARCHS) else None


def mpy_qstrs(data):
    """The names (qstrs) a .mpy file (version 6) interns when it loads, in its order:
    its qstr table, without the ones every firmware has built in (static)."""
    if len(data) < 4 or data[0] != 0x4D or data[1] != 6:
        return []
    i = 4

    def vuint():
        nonlocal i
        v = 0
        while True:
            b = data[i]
            i += 1
            v = (v << 7) | (b & 0x7F)
            if not b & 0x80:
                return v

    n_qstr = vuint()
    vuint()                              # n_obj
    out = []
    for _ in range(n_qstr):
        v = vuint()
        if v & 1:
            continue                     # a static qstr: built into every firmware
        n = v >> 1
        out.append(data[i:i + n].decode("utf-8", "replace"))
        i += n + 1                       # the name and its NUL
    return out
