# Board-side core of the virtual board (runs on the MicroPython unix port).
#
# Holds what every other board module shares: the configuration written by the
# host, the control channel back to the host (watchdog, REPL mode), the Ctrl-C
# switch, and the soft-timer ticker that plays the role of hardware alarms.
import sys
import json
import time
import micropython
import _thread
import termios

# Exit statuses understood by the host relay, and reset causes (simexit.py).
from simexit import EXIT_SOFT, EXIT_HARD, EXIT_BOOTLOADER, EXIT_FATAL, PWRON_RESET, WDT_RESET

cfg = None
_ctl = None


def load(path):
    global cfg, _ctl
    with open(path) as f:
        cfg = json.load(f)
    _ctl = open("/dev/fd/%d" % cfg["ctl_fd"], "wb")
    _identity(cfg)
    _init_intr()
    _init_import_hold(cfg)
    # Started now, while Ctrl-C is plain data: creating a thread blocks every signal in
    # the creating thread for a moment, so a Ctrl-C then goes to the new thread before it
    # can take an exception, and the unix port crashes (SIGSEGV in its signal handler).
    _thread.start_new_thread(_ticker, ())
    return cfg


def _identity(cfg):
    # What a Pico says about itself, from this interpreter's version, e.g.
    # "MicroPython v1.29.0-preview.9458e3a23f on 2026-07-05; Raspberry Pi Pico (virtual) with RP2040"
    v = sys.implementation.version
    rel = "%d.%d.%d" % v[:3]
    ver = "v" + rel + ("-" + v[3] if len(v) > 3 and v[3] else "")
    tail = sys.version.split("MicroPython ", 1)[-1].split(" on ")
    if len(tail) == 2:
        ver += "." + tail[0] + " on " + tail[1]
    cfg["banner"] = "MicroPython " + ver + "; " + cfg["machine"]
    cfg["uname"] = {"sysname": "rp2", "nodename": "rp2", "release": rel,
                    "version": ver + " (virtual board)", "machine": cfg["machine"]}


def ctl(msg):
    # One line per message; the host reads them as they come.
    _ctl.write(msg + "\n")


def exit(status):
    sys.exit(status)  # the unix port's exit status; the host reads it


# --- Ctrl-C -------------------------------------------------------------------
# A real board checks each received byte against the interrupt char and drops it
# when it matches. Here the tty line discipline of our stdin does exactly that
# (ISIG with VINTR = the char), and the unix port turns the SIGINT into
# KeyboardInterrupt. Switching ISIG off makes Ctrl-C plain data again.
_attr_off = None
_attr_on = None
intr_char = -1


def _init_intr():
    global _attr_off, _attr_on
    t = cfg["tty"]
    a = termios.tcgetattr(0)
    off = list(a)
    off[3] = a[3] & ~t["isig"]
    off[6] = list(a[6])
    _attr_off = off
    _attr_on = list(off)
    _attr_on[6] = list(off[6])
    set_intr(-1)


def set_intr(c):
    global intr_char, _held
    intr_char = c
    if _hold:
        # In an import: Ctrl-C stays held back by the host while it is an interrupt, and
        # goes to stdin as data (a held one too) once the code asks for that.
        if c >= 0 and not _held:
            ctl("hold")
            _held = True
        elif c < 0 and _held:
            _held = False
            _ask("data")
        c = -1
    if c < 0:
        termios.tcsetattr(0, termios.TCSANOW, _attr_off)
        return
    t = cfg["tty"]
    a = _attr_on
    a[3] = _attr_off[3] | t["isig"]
    ch = bytes((c,))
    # VQUIT and VSUSP would turn other bytes into signals; make them the same char.
    for i in (t["vintr"], t["vquit"], t["vsusp"]):
        a[6][i] = ch
    termios.tcsetattr(0, termios.TCSANOW, a)


_R2 = (0, 1)


def intr_off():
    # A Ctrl-C that raced with switching off is raised here (at the loop's
    # pending-exception check), not later inside the REPL.
    while True:
        try:
            set_intr(-1)
            for _ in _R2:
                pass
            return
        except KeyboardInterrupt:
            pass


# --- Ctrl-C during an import ---------------------------------------------------
# The unix port raises the KeyboardInterrupt of a SIGINT from its signal handler,
# wherever the interpreter is. A board takes it at the next bytecode. Most of an
# import is C (littlefs, loading code, interning names, the GC), and a Ctrl-C there
# breaks the interpreter for good (a crash then, or later). So while an import runs
# Ctrl-C is plain data: the host holds it back ("hold") and puts b"C" on the interrupt
# pipe; we raise it at the next nested import ("took"), or when the import ends: the
# host answers "free" with b"F", after the b"C" of any Ctrl-C it held. One not taken
# within the host's HOLD_S (a module that loops as it is imported, with no import in
# the loop) is sent as a signal after all. Code that makes Ctrl-C data while it is being
# imported (a program started by `import`, whose console reads Ctrl-C) ends the hold
# ("data"): a held Ctrl-C then goes to stdin, where that code reads it.
_hold = False      # an import is under way (the outermost one sets it)
_held = False      # the host holds Ctrl-C back for us
_intr = None       # the interrupt pipe from the host
_intr_poll = None
_real_import = None


def _init_import_hold(cfg):
    global _intr, _intr_poll, _real_import
    import builtins
    import select

    _intr = open("/dev/fd/%d" % cfg["intr_fd"], "rb")
    _intr_poll = select.poll()
    _intr_poll.register(_intr, select.POLLIN)
    _real_import = builtins.__import__
    builtins.__import__ = _import


def _import(name, globals=None, locals=None, fromlist=None, level=0):
    global _hold, _held
    if _hold:
        if _intr_poll.poll(0) and _intr.read(1) == b"C":
            ctl("took")
            raise KeyboardInterrupt   # the outer import's release still reads the b"F"
        return _real_import(name, globals, locals, fromlist, level)
    if intr_char < 0 or (level == 0 and name in sys.modules):
        return _real_import(name, globals, locals, fromlist, level)
    try:
        _hold = True
        _held = True
        ctl("hold")
        termios.tcsetattr(0, termios.TCSANOW, _attr_off)
        return _real_import(name, globals, locals, fromlist, level)
    finally:
        _release()


def _ask(what):
    # "free" or "data": the host answers b"F", after a b"C" for a Ctrl-C it held that
    # was not taken (for "data" it gives that one to stdin instead). Whether there was one.
    held = sent = False
    while True:
        try:
            if not sent:
                ctl(what)
                sent = True
            b = _intr.read(1)
            if b != b"C":      # b"F", or b"" if the host went away
                return held
            held = True
        except KeyboardInterrupt:  # the host's late signal: the same Ctrl-C
            held = True


def _release():
    global _hold, _held
    held = _ask("free") if _held else False
    _hold = _held = False
    if intr_char >= 0:
        set_intr(intr_char)
        if held:
            raise KeyboardInterrupt


# --- soft timers ---------------------------------------------------------------
# Events (machine.Timer, wiring schedules, UART sockets) are kept in a list owned
# by the main thread. A ticker thread only watches the earliest deadline and asks
# the main thread, through micropython.schedule (like a hardware IRQ does), to run
# what is due. The ticker allocates nothing.
_events = []          # [deadline_ms, callback, arg], sorted by deadline
_next = None          # earliest deadline, read by the ticker
_pending = False


def _ticker():
    global _pending
    while True:
        try:
            _watch()
        except KeyboardInterrupt:
            # A Ctrl-C the kernel gave this thread (it does when the main thread has
            # SIGINT blocked, as in its handler for the Ctrl-C before): dropped, as a
            # board drops a second Ctrl-C that comes before the first is taken.
            _pending = False


def _watch():
    global _pending
    while True:
        d = _next
        if d is None or _pending:
            time.sleep_ms(5)
            continue
        w = time.ticks_diff(d, time.ticks_ms())
        if w > 0:
            time.sleep_ms(w if w < 5 else 5)
            continue
        # Marked before scheduling: the main thread may run _run_due (which clears
        # the mark) before schedule() returns here, and a mark set after that
        # would stop every timer for good.
        _pending = True
        try:
            micropython.schedule(_run_due, None)
        except RuntimeError:  # schedule queue full: try again shortly
            _pending = False
            time.sleep_ms(1)


def _run_due(_):
    global _pending
    try:
        _pending = False
        now = time.ticks_ms()
        while _events and time.ticks_diff(_events[0][0], now) <= 0:
            ev = _events.pop(0)
            _update_next()
            try:
                ev[1](ev[2])
            except Exception as e:
                sys.print_exception(e)
    except KeyboardInterrupt:
        # A Ctrl-C that came while this ran: a scheduled call cannot raise into the code
        # it interrupted (MicroPython prints and drops it), so the host sends it again.
        # What was not run yet is still due and runs on the next tick.
        if intr_char >= 0:
            ctl("intr")


def _update_next():
    global _next
    _next = _events[0][0] if _events else None


def call_at(deadline, cb, arg=None):
    ev = [deadline, cb, arg]
    i = 0
    while i < len(_events) and time.ticks_diff(_events[i][0], deadline) <= 0:
        i += 1
    _events.insert(i, ev)
    _update_next()
    return ev


def call_later(ms, cb, arg=None):
    return call_at(time.ticks_add(time.ticks_ms(), ms), cb, arg)


def cancel(ev):
    try:
        _events.remove(ev)
    except ValueError:
        pass
    _update_next()


def armed():
    return _next is not None


def soft_irq(handler, arg):
    # What a real port does for a non-hard IRQ: queue the handler. A full queue
    # loses the event, as on hardware.
    try:
        micropython.schedule(handler, arg)
    except RuntimeError:
        pass


def hard_reset(why):
    # The host kills and restarts us: nothing in this process can delay it.
    ctl(why)
    while True:
        time.sleep_ms(1000)
