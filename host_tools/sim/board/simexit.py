# How the virtual board's CPU (the unix port) tells the host relay why it stopped: its
# exit status. One definition for both sides: simcore.py exits with these, and the host
# (host_tools/sim/child.py) reads this file as it is.
EXIT_SOFT = 64        # soft reset: host restarts us, REPL mode kept
EXIT_HARD = 65        # machine.reset() or watchdog: host restarts us as after power-up
EXIT_BOOTLOADER = 66  # machine.bootloader()
EXIT_FATAL = 67       # the board cannot start (e.g. flash does not mount)

PWRON_RESET = 1       # rp2 values of machine.reset_cause()
WDT_RESET = 3
