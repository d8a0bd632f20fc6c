"""sys.implementation._mpy decoding (a module of its own: `mpk deploy` needs it without
importing host_tools.devices and pyserial's port listing)."""

MPY_ARCHS = [None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
             "xtensa", "xtensawin", "rv32imc", "rv64imc"]


def decode_mpy(sys_mpy):
    """sys.implementation._mpy -> (mpy major version, sub version, native arch name or None)."""
    if sys_mpy is None:
        return None, None, None
    arch = sys_mpy >> 10
    return sys_mpy & 0xFF, (sys_mpy >> 8) & 3, MPY_ARCHS[arch] if arch < len(MPY_ARCHS) else None
