# The steady, verified client load: tasks that use the servers as an application does and
# check every answer. A wrong answer (a value that is not what the server was told, or
# not what it must return) is a wrong reply; a call that is neither answered nor refused
# within CALL_MS is a lost call. Error replies and Dead are what a failing server may
# answer: the client counts them and goes on (Dead: it looks the name up again).
import kernel
from kernel import KERNEL, port

OK, ERROR, DEAD, LOST = 0, 1, 2, 3


class Load:
    def __init__(self, tally, rng, call_ms):
        self.tally = tally
        self.rng = rng
        self.call_ms = call_ms
        self.tids = {}
        self.progress = {}           # client name -> ticks_ms of its last verified answer
        self.examples = []           # the first few wrong and lost calls, for the report
        self.storm_since = None      # t0 -> whether an allocation storm came since (a hook)

    def note(self, what, client, detail):
        self.tally[what] = self.tally.get(what, 0) + 1
        if len(self.examples) < 8:
            try:
                self.examples.append("%s: %s: %s" % (what, client, detail[:160]))
            except Exception:
                self.examples.append("%s: %s" % (what, client))

    def done(self, client):
        self.progress[client] = port.ticks_ms()
        self.tally["verified"] = self.tally.get("verified", 0) + 1

    def call(self, client, server, msg):
        # Generator: (OK, reply) | (ERROR, code) | (DEAD, None) | (LOST, None), and the
        # tid that answered (a change means the server restarted in between).
        tid = self.tids.get(server)
        if tid is None:
            try:
                tid = yield kernel.lookup(server, self.call_ms)
            except kernel.Timeout:
                self.note("lost_calls", client, "no %s to look up within %d ms" % (server, self.call_ms))
                return LOST, None, None
            self.tids[server] = tid
        try:
            r = yield kernel.call(tid, msg, self.call_ms)
        except (kernel.Dead, kernel.Full):
            self.tids.pop(server, None)
            self.tally["dead_or_full"] = self.tally.get("dead_or_full", 0) + 1
            return DEAD, None, tid
        except kernel.Timeout:
            self.tids.pop(server, None)
            self.note("lost_calls", client, "%s %r" % (server, msg[:2]))
            return LOST, None, tid
        if type(r) is tuple and len(r) == 3 and r[0] == "err":
            self.tally["error_replies"] = self.tally.get("error_replies", 0) + 1
            if type(r[1]) is not str or type(r[2]) is not str or len(r[2]) > 96:
                self.note("wrong_replies", client, "malformed error reply %r" % (r,))
            return ERROR, r[1], tid
        return OK, r, tid

    def wrong(self, client, what):
        self.note("wrong_replies", client, what)


def files(load, i):
    # Write a file, read it back. After a write that got an error (the server may have
    # failed after writing), either content is right.
    c = "fs-client%d" % i
    path = "f%d" % i
    known = [None]                       # contents the file may have (None: absent)
    n = 0
    while True:
        n += 1
        data = load.rng.bytes(8 + n % 40)
        st, r, tid = yield from load.call(c, "fs", ("put", path, data))
        if st == OK:
            if r != len(data):
                load.wrong(c, "put returned %r for %d bytes" % (r, len(data)))
            known = [data]
        elif st != LOST:
            known.append(data)
        st, r, tid = yield from load.call(c, "fs", ("get", path))
        if st == OK:
            if r not in known:
                load.wrong(c, "get returned %r, expected one of %r" % (r, known))
            else:
                known = [r]
                load.done(c)
        elif st == ERROR and r == "noent" and None not in known:
            load.wrong(c, "get: noent after a successful put")
        yield kernel.sleep(1)


def logger(load, i):
    # Log a record, read it back by its sequence number.
    c = "log-client%d" % i
    n = 0
    while True:
        n += 1
        text = "chaos %d #%d" % (i, n)
        st, seq, tid = yield from load.call(c, "log", ("log", "info", "chaos", text))
        if st == OK:
            if type(seq) is not int or seq <= 0:
                load.wrong(c, "log returned %r" % (seq,))
            else:
                st, recs, tid2 = yield from load.call(c, "log", ("since", seq - 1, 1))
                if st == OK and tid2 == tid:
                    if type(recs) is not list or len(recs) != 1 or recs[0][0] != seq \
                            or recs[0][4] != text:
                        load.wrong(c, "since(%d) returned %r, expected %r" % (seq - 1, recs, text))
                    else:
                        load.done(c)
        yield kernel.sleep(1)


def pins(load):
    # Drive GP2, read it back on GP3 (wired together); claims end with the server, so a
    # restarted gpio is claimed again.
    c = "gpio-client"
    claimed = None
    v = 0
    while True:
        tid = load.tids.get("gpio")
        if claimed is None or claimed != tid:
            st1, _, t1 = yield from load.call(c, "gpio", ("claim", "GP2", "out"))
            st2, _, t2 = yield from load.call(c, "gpio", ("claim", "GP3", "in"))
            claimed = t1 if st1 == OK and st2 == OK and t1 == t2 else None
            if claimed is None:              # start again from no claim at all
                yield from load.call(c, "gpio", ("release", "GP2"))
                yield from load.call(c, "gpio", ("release", "GP3"))
                yield kernel.sleep(5)
                continue
        v ^= 1
        st, r, t1 = yield from load.call(c, "gpio", ("write", "GP2", v))
        if st == OK and r is not True:
            load.wrong(c, "write returned %r" % (r,))
        st2, r2, t2 = yield from load.call(c, "gpio", ("read", "GP3"))
        if st == OK and st2 == OK and t1 == t2 == claimed:
            if r2 != v:
                load.wrong(c, "read GP3 %r after writing %r to GP2" % (r2, v))
            else:
                load.done(c)
        if t1 != claimed or t2 != claimed or st in (DEAD, LOST) or st2 in (DEAD, LOST):
            claimed = None
        yield kernel.sleep(1)


def timers(load):
    # A one-shot timer: its notification must arrive.
    c = "timer-client"
    while True:
        st, r, tid = yield from load.call(c, "timer", ("oneshot", 3, 4))
        if st == OK:
            got = 0
            t0 = port.ticks_ms()
            while not got & 4 and port.ticks_diff(port.ticks_ms(), t0) < 2000:
                try:
                    sender, msg = yield kernel.recv(100)
                except kernel.Timeout:
                    continue
                if sender == KERNEL and type(msg) is int:
                    got |= msg
            if got & 4:
                load.done(c)
            elif load.storm_since is not None:
                # On a board's own machine (mpk chaos) a one-shot whose notification never
                # came is counted apart: the virtual board's machine.Timer (callbacks
                # through micropython.schedule, from a thread) drops some under this load,
                # which the fake machine's timers, and the unix-port campaign, never do.
                load.tally["timers_not_fired"] = load.tally.get("timers_not_fired", 0) + 1
            elif load.tids.get("timer") == tid:
                # no notification, though the timer server did not restart: ask it
                st2, _, tid2 = yield from load.call(c, "timer", ("timers",))
                if st2 == OK and tid2 == tid:
                    load.wrong(c, "a one-shot timer never fired")
        yield kernel.sleep(1)


def eeprom(load, i, tmp102=True):
    # Write bytes into the EEPROM at 0x50 through the i2c server, read them back; and
    # (on the fake machine) the TMP102 at 0x48 reads 25.0 C.
    c = "i2c-client%d" % i
    base = 256 * i
    while True:
        reg = base + 8 * load.rng.below(25)   # 8 bytes never cross a 32-byte EEPROM page
        data = load.rng.bytes(8)
        st, r, tid = yield from load.call(c, "i2c", ("writemem", 0x50, reg, data, 0, 16))
        if st == OK:
            st, got, tid2 = yield from load.call(c, "i2c", ("readmem", 0x50, reg, 8, 0, 16))
            if st == OK:
                if got != data:
                    load.wrong(c, "EEPROM %d read %r after writing %r" % (reg, got, data))
                else:
                    load.done(c)
        if tmp102:
            st, t, tid = yield from load.call(c, "i2c", ("readmem", 0x48, 0, 2))
            if st == OK and t != b"\x19\x00":
                load.wrong(c, "TMP102 read %r, expected 25.0 C" % (t,))
        yield kernel.sleep(1)


def console(load):
    c = "console-client"
    while True:
        st, r, tid = yield from load.call(c, "console", ("run", "help"))
        if st == OK:
            if type(r) is not str or not r.startswith("commands:"):
                load.wrong(c, "help returned %r" % (r,))
            else:
                load.done(c)
        yield kernel.sleep(5)


def clients(fake=True, board=None):
    # (name, function, args) of the load's tasks. On a real board, only what its wiring
    # and devices allow: the pins if GP2 and GP3 are wired together, the EEPROM if one
    # answers at 0x50 (and the TMP102 is checked only on the fake machine, at 25.0 C).
    out = [("fs-client0", files, (0,)), ("fs-client1", files, (1,)), ("log-client0", logger, (0,)),
           ("timer-client", timers, ()), ("console-client", console, ())]
    if fake or _wired(board):
        out.append(("gpio-client", pins, ()))
    if fake or _answers(board, 0x50):
        out += [("i2c-client0", eeprom, (0, fake)), ("i2c-client1", eeprom, (1, fake))]
    return out


def _wired(board):
    import hal
    try:
        a = hal.pin(board, "GP2", "out")
        b = hal.pin(board, "GP3", "in")
        seen = []
        for v in (1, 0, 1, 0):
            a.value(v)
            seen.append(b.value())
        return seen == [1, 0, 1, 0]
    except Exception:
        return False


def _answers(board, addr):
    import hal
    try:
        return addr in hal.i2c(board, 0).scan()
    except Exception:
        return False
