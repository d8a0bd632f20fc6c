# The firmware's entry point: boot.py imports this module and calls main().
#
# main() finds the board (the system image may name it), checks the image against it
# (firmware/image.py: a bad image is refused with one line, nothing is started), builds
# the kernel, starts the supervisor (the image's first entry) with the other tasks, and
# runs the kernel forever. Ctrl-C stops the loop into the REPL with every task kept:
# ps(), trace() inspect it, and resume() runs it on (firmware/repl.py).
import sys
import kernel
import boards
from firmware import system
from servers import supervisor


def build(image=None, board=None, reset=None):
    # The kernel with the supervisor spawned (not yet running): for main() and tests.
    # Raises image.ImageError for an image that does not add up on this board.
    image = image or system.IMAGE
    from firmware import image as image_check

    b = boards.current(board or image.get("board"))
    tasks = image_check.tasks_for(b, image)
    del image_check
    _forget("firmware.image")            # boot-time only: its RAM goes back to the heap
    return _kernel(image, b, tasks, reset)


def _kernel(image, b, tasks, reset):
    sup, rest = tasks[0], tasks[1:]
    reserved = ["pin:GP%d" % p for p in getattr(b, "RESERVED", ())]   # as image.reserved()
    kernel.port.collect()        # the check's garbage goes before the tasks' state comes
    k = kernel.Kernel(forever=True, **image.get("kernel", {}))
    k.own(reserved, "board")     # no task may claim these pins
    config = dict(sup["config"], tasks=rest, limits=b.LIMITS, reset=reset, postmortem=True)
    k.spawn(lambda: supervisor.main(sup["name"], **config), name=sup["name"],
            prio=supervisor.opt(sup, "prio"), mailbox=sup["mailbox"], privileged=True,
            owns=supervisor.owned_keys(sup))
    return k


def run(k):
    r = k.run()
    if r in ("interrupted", "stopped"):      # Ctrl-C at the REPL, or through the console
        print("mpk: stopped (Ctrl-C); every task kept%s; ps() to look, resume() to run on"
              % _wdt_note())
    return r


def _wdt_note():
    try:
        import hal

        return ", the watchdog fed meanwhile" if hal.wdt_started() else ""
    except ImportError:
        return ""


def main():
    from firmware import image as image_check

    image = system.IMAGE
    b = boards.current(image.get("board"))
    try:
        tasks = image_check.tasks_for(b, image)
    except image_check.ImageError as e:
        # Reported, not half-started: boot.py shows it (and falls back to the previous
        # firmware tree, if there is one).
        print("mpk:", e)
        raise
    print("mpk: %s, %d tasks in the image" % (b.NAME, len(tasks)))
    del image_check
    _forget("firmware.image")            # boot-time only: its RAM goes back to the heap
    return run(_kernel(image, b, tasks, None))


def _forget(name):
    sys.modules.pop(name, None)
    pkg, _, attr = name.rpartition(".")
    if hasattr(sys.modules.get(pkg), attr):
        delattr(sys.modules[pkg], attr)


if __name__ == "__main__":
    main()
