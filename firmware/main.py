# The firmware's entry point: boot.py imports this module and calls main().
#
# main() finds the board (the system image may name it), builds the kernel, starts the
# supervisor with the image's tasks, and runs the kernel forever. Ctrl-C stops the loop
# into the REPL with every task kept: ps(), trace() inspect it, and resume() runs it on
# (firmware/repl.py).
import kernel
import boards
from firmware import system
from servers import supervisor


def build(image=None, board=None, reset=None):
    # The kernel with the supervisor spawned (not yet running): for main() and tests.
    image = image or system.IMAGE
    b = boards.current(board or image.get("board"))
    k = kernel.Kernel(forever=True, **image.get("kernel", {}))
    sup_image = {"tasks": system.tasks_for(b, image), "supervisor": image.get("supervisor", {})}
    k.spawn(supervisor.main, sup_image, reset, "supervisor", b.LIMITS, True,
            name="supervisor", prio=7, mailbox=16, privileged=True)
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
    k = build()
    print("mpk: %s, %d tasks in the image" % (boards.current().NAME, len(system.tasks_for(boards.current()))))
    return run(k)


if __name__ == "__main__":
    main()
