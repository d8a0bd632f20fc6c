"""Hardware-in-the-loop tests: the same on-device suite on a virtual board and on a rack.

A pytest plugin (registered as the `mpk_hil` entry point in `pytest11`), with:

    pytest --board sim tests/hil                    # one virtual board (started here)
    pytest --board sim --board sim tests/hil        # two, in parallel (pytest-xdist)
    pytest --board /dev/ttyACM0 --board-flash tests/hil   # a real board: deploy first
    pytest --board auto tests/hil                   # every board found, else a virtual one

Modules:

    collect   reading on-device test modules (tests, timeout, needed features) with ast
    files     compiling tests/hil/ with mpy-cross and syncing it to /hiltests on a board
    session   HilBoard: one board (virtual or on a port) prepared for tests, running a
              test with a timeout (Ctrl-C, then a hard reset), noticing a board that is gone;
              KernelSystem: the system image running on the board, called through the console
    plugin    the pytest side: options, collection, fixtures, the per-board scheduler,
              the summary table
"""
