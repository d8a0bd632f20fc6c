# Post-mortem: what went wrong before a reset, kept on flash so that the next boot can
# tell (the console's `faults`, `mpk faults`). A bounded list of small records, newest
# last, one JSON object per line:
#   {"boot": n, "kind": "boot", "cause": "watchdog"}         a boot, and why the board reset
#   {"boot": n, "kind": "fault", "task": .., "why": .., "tb": ..}   a task that failed ...
#   {"boot": n, "kind": "hang", "task": .., "why": ..}        ... or stopped answering pings
#   {"boot": n, "kind": "hold", "task": .., "why": ..}        a task holding the CPU (it
#                                                             never yields: the WDT will fire)
#   {"boot": n, "kind": "reset", "why": ..}                   who asked for a reset, and why
# The file is rewritten whole into a temporary file that is then renamed over it
# (littlefs renames atomically), so a power cut while writing loses at most the newest
# record. The supervisor notes faults as it restarts them and writes at most once per
# FLUSH_MS, so a crash loop does not wear the flash; a reset, a boot and a held CPU are
# written at once. Written directly, not through the fs server: it works when fs is the
# task that failed.
import json
from kernel import port

PATH = "/mpk/postmortem"
KEEP = 16                   # records kept
TEXT = 120                  # characters of a record's text, and of its traceback head
FLUSH_MS = 1000

_pending = []               # records noted, not yet on flash
_boot = [0]                 # this boot's number
_busy = [False]             # a write is under way (the watchdog keeper's timer may interrupt)
_last_write = [None]
_enabled = [False]


def _short(s):
    s = s if type(s) is str else str(s)
    return s if len(s) <= TEXT else s[:TEXT - 3] + "..."


def load(path=PATH):
    # Every record on flash, oldest first; lines that do not parse are skipped.
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if type(r) is dict:
                    out.append(r)
    except OSError:
        pass
    return out[-KEEP:]


def _write(records, path=PATH):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        for r in records[-KEEP:]:
            f.write(json.dumps(r))
            f.write("\n")
    import os
    try:
        os.rename(tmp, path)
    except OSError:                 # a filesystem that will not rename over a file
        try:
            os.remove(path)
        except OSError:
            pass
        os.rename(tmp, path)


def start(cause, path=PATH):
    # At boot (the supervisor): number this boot and record why the board reset. Clean
    # boots in a row (soft resets: deploys, mpremote) share one record.
    global PATH
    PATH = path
    _enabled[0] = True
    old = load(path)
    _boot[0] = (old[-1].get("boot", 0) + 1) if old else 1
    rec = {"boot": _boot[0], "kind": "boot", "cause": cause}
    if old and old[-1].get("kind") == "boot" and old[-1].get("cause") == cause:
        rec["boots"] = old[-1].get("boots", 1) + 1
        old.pop()
    old.append(rec)
    _save(old)
    return old[:-1]


def note(kind, task=None, why="", tb=""):
    # Keep a record for the next flush (allocation is small and bounded).
    if not _enabled[0]:
        return
    r = {"boot": _boot[0], "kind": kind, "t_ms": port.ticks_ms()}
    if task is not None:
        r["task"] = task
    r["why"] = _short(why)
    if tb:
        r["tb"] = _short(tb)
    _pending.append(r)
    if len(_pending) > KEEP:
        _pending.pop(0)


def flush(now=False):
    # Write what was noted (at most once per FLUSH_MS unless now). Never raises.
    if not _pending or not _enabled[0] or _busy[0]:
        return False
    t = port.ticks_ms()
    if not now and _last_write[0] is not None and port.ticks_diff(t, _last_write[0]) < FLUSH_MS:
        return False
    _last_write[0] = t
    try:
        recs = load(PATH)
        recs.extend(_pending)
    except MemoryError:             # the next flush tries again
        return False
    del _pending[:]
    _save(recs)
    return True


def record(kind, task=None, why="", tb=""):
    # Note and write at once: a reset is coming, or the loop may never run again.
    note(kind, task, why, tb)
    return flush(True)


def _save(recs):
    _busy[0] = True
    try:
        _write(recs, PATH)
    except Exception:               # a full or read-only filesystem: the board runs on
        pass
    finally:
        _busy[0] = False


def pending():
    return len(_pending)


def due_ms():
    # ms until flush() would write what was noted (0: now), or None: nothing to write.
    if not _pending or not _enabled[0]:
        return None
    if _last_write[0] is None:
        return 0
    return max(0, FLUSH_MS - port.ticks_diff(port.ticks_ms(), _last_write[0]))


def tb_head(tb):
    # The useful part of a traceback for a record: the innermost lines.
    lines = [ln.strip() for ln in (tb or "").splitlines() if ln.strip()]
    return " | ".join(lines[-2:])


CAUSES = (("PWRON_RESET", "power on"), ("HARD_RESET", "hard reset"), ("WDT_RESET", "watchdog"),
          ("DEEPSLEEP_RESET", "deep sleep"), ("SOFT_RESET", "soft reset"))


def cause_name(machine, code):
    # machine.reset_cause()'s number as a word (ports define different subsets).
    for attr, name in CAUSES:
        if getattr(machine, attr, None) == code:
            return name
    return "unknown (%s)" % (code,)
