# mpk: boot.py: put the deployed firmware tree on sys.path; roll back a tree that fails to start.
# Runs on every boot (also on the soft resets of the raw REPL), so it stays tiny and never raises.
#
# On-board layout (written by `mpk deploy`):
#   /boot.py             this file (from firmware/boot.py, kept as source)
#   /main.py             stub: `import boot; boot.start()`
#   /mpk/a/  /mpk/b/     two firmware trees: compiled kernel/ servers/ boards/ hal/ firmware/
#   /mpk/<t>/.built      build id, written last: the tree is complete
#   /mpk/active          "a" = tree a, confirmed; "b 1" = tree b on trial, started once.
#                        A deploy fills the other tree, then switches with one rename of
#                        /mpk/active.new onto /mpk/active.
#   /mpk/last            one line about the last rollback
#
# A tree on trial is confirmed when `import firmware.main` returns (before its main() runs),
# or when the firmware calls boot.confirm() itself. If that import raises, the trial tree is
# rolled back at once; if the board resets MAX_TRIES times without a confirmed start (hang,
# crash, watchdog), boot rolls it back. Rollback goes to the other tree only if it is complete.
import os
import sys

# The layout is firmware/wire.py's (SLOT_DIR, ACTIVE, TREES), written out here because
# boot.py runs before any tree is on sys.path; tests/host/test_wire_agree.py checks it.
D = '/mpk/'
MAX_TRIES = 3


def _read():
    try:
        with open(D + 'active') as f:
            s = f.read().split()
        return s[0], (int(s[1]) if len(s) > 1 else -1)
    except Exception:
        return None, -1


def _write(slot, tries=-1):
    with open(D + 'active.new', 'w') as f:
        f.write(slot if tries < 0 else '%s %d' % (slot, tries))
    try:
        os.rename(D + 'active.new', D + 'active')
    except OSError:  # a filesystem that will not rename over a file
        os.remove(D + 'active')
        os.rename(D + 'active.new', D + 'active')


def _complete(slot):
    try:
        os.stat(D + slot + '/.built')
        return True
    except OSError:
        return False


def _note(msg):
    print('mpk boot:', msg)
    try:
        with open(D + 'last', 'w') as f:
            f.write(msg)
    except OSError:
        pass


def rollback(why):
    """Make the other tree active (if complete); True when switched."""
    slot, tries = _read()
    if slot is None:
        return False
    prev = 'b' if slot == 'a' else 'a'
    if not _complete(prev):
        _write(slot)
        _note('tree %s %s; no previous tree to go back to' % (slot, why))
        return False
    _write(prev)
    _note('rolled back from tree %s to %s: %s' % (slot, prev, why))
    return True


def confirm():
    """The active tree started: stop counting its boots."""
    try:
        slot, tries = _read()
        if slot and tries >= 0:
            _write(slot)
    except Exception:
        pass


def _boot():
    slot, tries = _read()
    if slot is None:
        return None
    if tries >= MAX_TRIES:
        rollback('it started %d times without success' % tries)
        slot, tries = _read()
    for s in ('a', 'b'):
        while D + s in sys.path:
            sys.path.remove(D + s)
    sys.path.insert(0, D + slot)
    return slot


def start():
    """Called by /main.py: start firmware/main of the active tree."""
    slot, tries = _read()
    try:
        from firmware import names      # first, while the heap is whole (why: there)
        names.intern_tree()
    except Exception:
        pass
    if slot and tries >= 0:
        try:
            _write(slot, tries + 1)
        except OSError:
            pass
    try:
        import firmware.main as m
    except KeyboardInterrupt:
        raise
    except Exception as e:
        sys.print_exception(e)
        if slot and tries >= 0 and rollback('it failed to start (%r)' % e):
            try:
                import machine
                machine.soft_reset()
            except (ImportError, AttributeError):
                # No soft reset here: start the previous tree in place.
                for k in list(sys.modules):
                    if k.split('.')[0] in ('kernel', 'servers', 'boards', 'hal', 'firmware'):
                        del sys.modules[k]
                _boot()
                start()
        return
    confirm()
    f = getattr(m, 'main', None)
    if f:
        f()


def _keep_wdt():
    # A watchdog the last boot started survives a soft reset (RP2040): keep it fed while
    # this boot and whatever follows run without their watchdog server (hal/__init__.py).
    try:
        import boards
        import hal
        hal.wdt_keep(boards.current())
    except Exception:
        pass


class _Stopped:
    # What main.py's `import boot; boot.start()` finds after a Ctrl-C stopped this boot:
    # the port runs main.py all the same, and a Ctrl-C while booting means the REPL.
    @staticmethod
    def start():
        print('mpk boot: stopped by Ctrl-C, the firmware was not started')


try:
    if _boot():
        _keep_wdt()
except KeyboardInterrupt:
    if __name__ == '__main__':
        sys.modules['boot'] = _Stopped
    raise
except Exception as e:
    print('mpk boot: error', e)
