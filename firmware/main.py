# The firmware's entry point: boot.py imports this module and calls main().
#
# main() finds the board (the system image may name it), checks the image against it
# (firmware/image.py: a bad image is refused with one line, nothing is started), builds
# the kernel, starts the supervisor (the image's first entry) with the other tasks, and
# runs the kernel forever. Ctrl-C stops the loop into the REPL with every task kept:
# ps(), trace() inspect it, and resume() runs it on (firmware/repl.py).
import sys
from firmware import names
names.intern_tree()              # before anything else loads (why: firmware/names.py)
import kernel                    # noqa: E402
import boards                    # noqa: E402
from firmware import system
from servers import supervisor

if system.IMAGE.get("srv", True):
    from firmware import srvfs   # now, while the heap is whole (its names too): see mount_srv


def build(image=None, board=None, reset=None):
    # The kernel with the supervisor spawned (not yet running): for main() and tests.
    # Raises image.ImageError for an image that does not add up on this board.
    image = image or system.IMAGE
    b, tasks, reserved = _plan(image, board)
    k = kernel.Kernel(forever=True, **image.get("kernel", {}))
    spawn_supervisor(k, b, tasks, reserved, reset)
    return k


def _plan(image, board=None):
    # The board, the image's checked tasks for it and its reserved pins. The check is
    # boot-time only: its module is forgotten, so its RAM goes back to the heap.
    from firmware import image as image_check

    try:
        b = boards.current(board or image.get("board"))
        return b, image_check.tasks_for(b, image), image_check.reserved(b)
    finally:
        del image_check
        sys.modules.pop("firmware.image", None)
        if hasattr(sys.modules["firmware"], "image"):
            delattr(sys.modules["firmware"], "image")
        kernel.port.collect()    # its garbage goes before the kernel's and the tasks' state


def spawn_supervisor(k, b, tasks, reserved, reset, postmortem=True):
    # Start the image's first entry, the supervisor, with the others as its children
    # (tasks: firmware.image.tasks_for(b, image); reserved: firmware.image.reserved(b)).
    sup, rest = tasks[0], tasks[1:]
    k.own(reserved, "board")     # no task may claim these pins
    config = dict(sup["config"], tasks=rest, limits=b.LIMITS, reset=reset, postmortem=postmortem)
    return k.spawn(lambda: supervisor.main(sup["name"], **config), name=sup["name"],
                   prio=supervisor.opt(sup, "prio"), mailbox=sup["mailbox"], privileged=True,
                   owns=supervisor.owned_keys(sup))


# (The REPL after Ctrl-C needs room in MicroPython's table of interned names, which grows
# by doubling into one large block: boot.py grows it before the firmware loads, see there.)
def run(k):
    r = k.run()
    if r in ("interrupted", "stopped"):      # Ctrl-C at the REPL, or through the console
        print("mpk: stopped (Ctrl-C); every task kept%s; ps() to look, resume() to run on"
              % _wdt_note())
    return r


def mount_srv(k):
    # /srv: the running system as files (firmware/srvfs.py), for the REPL and file tools.
    # Its stand-in was loaded with this module, early in the boot: the mount itself takes
    # 48 bytes of a heap the firmware has filled. The system runs without it if it fails.
    try:
        from firmware import srvfs

        srvfs.mount(k)
    except Exception as e:
        print("mpk: /srv not mounted:", e)


def _wdt_note():
    try:
        import hal

        return ", the watchdog fed meanwhile" if hal.wdt_started() else ""
    except ImportError:
        return ""


def main():
    image = system.IMAGE
    try:
        b, tasks, reserved = _plan(image)
    except ValueError as e:
        # A refused image (or an unknown board) is reported, not half-started: boot.py
        # shows it (and falls back to the previous firmware tree, if there is one).
        print("mpk:", e)
        raise
    print("mpk: %s, %d tasks in the image" % (b.NAME, len(tasks)))
    k = kernel.Kernel(forever=True, **image.get("kernel", {}))
    spawn_supervisor(k, b, tasks, reserved, None)
    del tasks
    if image.get("srv", True):
        mount_srv(k)
    k.resume = lambda: run(k)    # what the host's resume line calls (RESUME_CODE)
    return run(k)


if __name__ == "__main__":
    main()
