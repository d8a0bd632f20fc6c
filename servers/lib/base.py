# What every server shares: the protocol table format, request checking, the serving
# loop, error replies, and the client helper that applications and HIL tests use.
#
# A protocol is a dict  op -> (args, reply, errors)
#   args:   tuple of (name, type) or (name, type, default). type is int, str, bytes
#           (bytes or bytearray), bool, list, tuple, dict or None (any plain value), or a
#           bounded one: (int, lo, hi), (str, max_len), (bytes, max_len). Unbounded ints are
#           kept to INT_RANGE, strs to MAX_STR, bytes to MAX_BYTES, so a hostile number or
#           name cannot overflow a handler or fill the heap.
#   reply:  a short text saying what a successful reply is
#   errors: tuple of the error codes the op can return
# A request is the tuple (op, arg1, arg2, ...). A reply is the value, or
# ("err", code, text). Errors never cross IPC as exceptions. Messages are shared objects,
# not copies, so checks are by exact type: a subclass or a foreign object could run its
# own code inside the server (an __eq__ or a str method that raises).
# Every server also answers ("ping",) with True, and takes the supervisor's liveness ping,
# the notification bit PING_BIT, by receiving it (serve() hides it from on_kernel). And it
# answers the supervisor's ("handoff",) in a live update (MINIX 3's): impl.handoff(), if
# it has one, returns a small dict of state for its successor, which the supervisor
# passes to the new incarnation's main as handoff=...; the reply sent, the server ends.
import kernel
from kernel import recv, reply, call, lookup, Dead, KERNEL, client, port

ERR = "err"

# Error codes shared by all servers (a server may add its own).
BADREQ = "badreq"      # malformed request: unknown op, wrong arity or type
BUSY = "busy"          # resource claimed by someone else
IO = "io"              # the hardware failed (bus error, NACK, timeout)
NOENT = "noent"        # no such pin, file, device, subscription
QUOTA = "quota"        # over a per-client limit
DENIED = "denied"      # not allowed for this client
UNAVAIL = "unavail"    # this board lacks the feature
INTERNAL = "internal"  # the server hit a bug; it keeps serving

NO_REPLY = object()    # a handler returns this to answer later with kernel.reply()


def err(code, text=""):
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT - 3] + "..."
    return (ERR, code, text)


def is_err(r):
    return type(r) is tuple and len(r) == 3 and r[0] == ERR


class ServerError(Exception):
    # Raised by the client helper (in the client's own task) for an error reply.
    def __init__(self, code, text=""):
        super().__init__(code, text)
        self.code = code
        self.text = text

    def __str__(self):
        return "%s: %s" % (self.code, self.text) if self.text else self.code


_BYTES = (bytes, bytearray, memoryview)
INT_RANGE = (-(1 << 30), (1 << 30) - 1)   # a small int on every port
MAX_STR = 128
MAX_BYTES = 4096
MAX_ITEMS = 32                              # items of a list, tuple or dict argument
MAX_TEXT = 96                               # characters of an error reply's text
PING_BIT = 1 << 29           # the supervisor's liveness ping: a notification serve() takes


def _plain(v, depth=0):
    # Only values built of plain types, bounded: what an untyped argument may be.
    t = type(v)
    if v is None or t is bool or t is float:
        return True
    if t is int:
        return INT_RANGE[0] <= v <= INT_RANGE[1]
    if t is str or t is bytes or t is bytearray:
        return len(v) <= MAX_BYTES
    if depth > 2 or (t is not tuple and t is not list and t is not dict) or len(v) > MAX_ITEMS:
        return False
    if t is dict:
        for k in v:
            if not (_plain(k, 3) and _plain(v[k], depth + 1)):
                return False
        return True
    for x in v:
        if not _plain(x, depth + 1):
            return False
    return True


def _type_ok(v, ty):
    # None when v fits ty, else what it must be (text).
    lim = None
    if type(ty) is tuple:
        ty, lim = ty[0], ty[1:]
    t = type(v)
    if ty is None:
        return None if _plain(v) else "a plain value (int, str, bytes, tuple, ...)"
    if ty is int:
        lo, hi = lim if lim else INT_RANGE
        if (t is int or t is bool) and lo <= v <= hi:
            return None
        return "an int in %d..%d" % (lo, hi)
    if ty is bytes:
        ok = t is bytes or t is bytearray
        n = lim[0] if lim else MAX_BYTES
    elif ty is str:
        ok = t is str
        n = lim[0] if lim else MAX_STR
    else:
        return None if t is ty and (ty is bool or _plain(v)) else "a " + ty.__name__
    if ok and len(v) <= n:
        return None
    return "%s of at most %d" % (ty.__name__, n)


def short(v, n=24):
    # A client's value as text fit for an error message: never the whole of a huge one.
    if type(v) is str or type(v) is bytes:
        return repr(v[:n]) + ("..." if len(v) > n else "")
    return "<%s>" % type(v).__name__


def check(protocol, msg):
    # Returns (handler name, args) or an error reply for a malformed request.
    if type(msg) is not tuple or not msg or type(msg[0]) is not str:
        return None, err(BADREQ, "a request is a tuple (op, args...)")
    spec = protocol.get(msg[0])
    if spec is None:
        if msg[0] == "ping" and len(msg) == 1:
            return "ping", ()
        return None, err(BADREQ, "unknown op %s" % short(msg[0]))
    params = spec[0]
    args = list(msg[1:])
    if len(args) > len(params):
        return None, err(BADREQ, "%s takes at most %d arguments" % (msg[0], len(params)))
    for i, p in enumerate(params):
        if i < len(args):
            why = _type_ok(args[i], p[1])
            if why is not None:
                return None, err(BADREQ, "%s: %s must be %s" % (msg[0], p[0], why))
        elif len(p) > 2:
            args.append(p[2])
        else:
            return None, err(BADREQ, "%s: missing %s" % (msg[0], p[0]))
    return msg[0], args


def _tname(ty):
    if type(ty) is tuple:
        if ty[0] is int:
            return "%d..%d" % ty[1:]
        return "%s<=%d" % (_tname(ty[0]), ty[1])
    return "any" if ty is None else "bytes" if ty is bytes else ty.__name__


def dispatch(protocol, impl, sender, msg):
    # Run one request against impl (method op_<name>(sender, *args)). Returns the reply,
    # a generator (the handler needs system calls), or NO_REPLY. Whatever a handler
    # raises becomes an error reply: bad input never ends a server.
    op, args = check(protocol, msg)
    if op is None:
        return args
    if op == "ping" and "ping" not in protocol:
        return True
    try:
        return getattr(impl, "op_" + op)(sender, *args)
    except Exception as e:
        return error_reply(op, e)


def error_reply(op, e):
    # The error reply for an exception a handler raised (bounded text, never raises).
    if isinstance(e, ServerError):
        return err(e.code, e.text)
    if isinstance(e, OSError):
        return err(IO, _oserror_text(e))
    if isinstance(e, MemoryError):
        return err(INTERNAL, "%s: out of memory" % op)
    if isinstance(e, kernel.IPCError):        # a server this one relies on failed
        return err(IO, "%s: %s" % (op, type(e).__name__))
    code = BADREQ if isinstance(e, (ValueError, TypeError, OverflowError, IndexError, KeyError)) \
        else INTERNAL
    try:
        text = str(e)
    except Exception:
        text = ""
    return err(code, "%s: %s%s" % (op, type(e).__name__ + ": " if code == INTERNAL else "", text))


def _oserror_text(e):
    code = e.args[0] if e.args else 0
    return {5: "EIO", 19: "ENODEV", 110: "ETIMEDOUT", 116: "ETIMEDOUT"}.get(code, "OSError %s" % (code,))


def is_gen(r):
    return r is not None and hasattr(r, "send") and not isinstance(r, _BYTES)


def finish(r, op):
    # Generator: run a handler that makes system calls itself (what dispatch returned)
    # and return its reply, its errors turned into error replies as dispatch does.
    try:
        return (yield from r)
    except Exception as e:
        return error_reply(op, e)


def configure(defaults, config, what="server"):
    # A server's settings: the image's config (main's **config, a dict of its own) with
    # its CONFIG defaults filled in, in place: one dict per server lives in its frame, not
    # two. An unknown key is refused by name (firmware/image.py checks it before boot).
    for k in config:
        if k not in defaults:
            raise ValueError("%s: unknown config key %r (known: %s)" % (what, k, ", ".join(sorted(defaults))))
    for k in defaults:
        if k not in config:
            config[k] = defaults[k]
    return config


def board_of(board):
    # A server's `board` setting: None (the board we run on), a name, or a board module.
    import boards

    if board is None:
        return boards.current()
    if type(board) is str:
        return boards.load(board)
    return board


def serve(protocol, impl, name=None):
    # The serving loop every server runs (as `yield from serve(...)`), the supervisor too.
    # Optional hooks on impl:
    #   on_kernel(msg)   notifications and kernel messages (monitor "down")
    #   period_ms        on_tick() that often (the watchdog feeds, the console polls input)
    #   due_ms()         instead of a period: ms until on_tick() is due, 0 now, None never
    #                    (the supervisor: its next restart, quota check or flash write)
    #   client_names     a dict filled with each caller's name (tid -> name)
    #   oom_retry_ms     out of memory in the loop is survived: the message being handled
    #                    is handled again that much later (the supervisor, which nothing
    #                    restarts); without it the server ends and is restarted
    #   close()          called however the server ends
    #   handoff()        the state (a small dict) for the next incarnation in a live update
    # A steady stream of requests cannot starve the tick: the deadline is checked after
    # every message. Handlers get the caller's tid; the reply goes to the call. An
    # exception in a handler is an error reply; one in the loop itself, on_tick or
    # on_kernel ends the server: its supervisor restarts it with fresh state, and
    # waiting callers get Dead. However the server ends (a fault, kill, a restart), its
    # hardware is let go in one place: impl.close() (claims end by themselves in the
    # kernel).
    try:
        yield from _serve(protocol, impl, name)
    finally:
        close = getattr(impl, "close", None)
        if close is not None:
            close()


_OOM = ("err", INTERNAL, "out of memory, try again")


def _serve(protocol, impl, name):
    if name is not None:
        yield kernel.register(name)
    on_kernel = getattr(impl, "on_kernel", None)
    names = getattr(impl, "client_names", None)
    period = getattr(impl, "period_ms", None)
    due_ms = getattr(impl, "due_ms", None)
    oom_ms = getattr(impl, "oom_retry_ms", None)
    due = port.ticks_add(port.ticks_ms(), period) if period else None
    held = None                        # the message in hand: handled again after an OOM
    while True:
        try:
            if held is None:
                if due_ms is not None:
                    wait = due_ms()
                elif due is not None:
                    wait = port.ticks_diff(due, port.ticks_ms())
                else:
                    wait = None
                if wait is not None and wait <= 0:
                    r = impl.on_tick()
                    if is_gen(r):
                        yield from r
                    if due is not None:
                        due = port.ticks_add(port.ticks_ms(), impl.period_ms)
                    continue
                try:
                    held = yield recv(wait)
                except kernel.Timeout:
                    continue
            sender, msg = held
            if sender == KERNEL:
                if type(msg) is int:
                    msg &= ~PING_BIT             # taken by receiving it: nothing to do
                if on_kernel is not None and msg:
                    r = on_kernel(msg)
                    if is_gen(r):
                        yield from r
                held = None
                continue
            tid = client(sender)
            if type(msg) is tuple and len(msg) == 1 and type(msg[0]) is str and msg[0] == "handoff":
                try:
                    sup = yield lookup("supervisor", 0)
                except kernel.Timeout:
                    sup = None
                if tid == sup:
                    state = impl.handoff() if hasattr(impl, "handoff") else None
                    yield reply(sender, state)
                    return                     # ended normally: the successor takes over
                yield reply(sender, err(DENIED, "handoff: only the supervisor"))
                held = None
                continue
            if names is not None and tid not in names:
                # Servers that tell clients apart by name (fs jails, watchdog slots) have
                # it at hand: the name a task was spawned under outlives its tid.
                if len(names) >= 32:           # tids of old incarnations: forget them all
                    names.clear()
                names[tid] = yield kernel.info("name", tid)
            try:
                r = dispatch(protocol, impl, tid, msg)
                if is_gen(r):
                    r = yield from finish(r, msg[0])
            except MemoryError:                # no room even for the error's text
                r = _OOM
            if r is not NO_REPLY:
                yield reply(sender, r)
            held = None
        except MemoryError:
            if oom_ms is None:
                raise
            port.collect()
            yield kernel.sleep(oom_ms)


class Client:
    # Calls a server by name: `gpio = Client(gpio.PROTOCOL, "gpio")`, then in a task
    # `v = yield from gpio.read("GP2")`. An error reply raises ServerError here, in
    # the client. If the server has died, the call raises kernel.Dead and the next
    # call looks the name up again (reaching the restarted server).
    def __init__(self, protocol, name, timeout=None):
        self._protocol = protocol
        self._name = name
        self._timeout = timeout
        self.tid = None

    def request(self, op, *args):
        if self.tid is None:
            self.tid = yield lookup(self._name, self._timeout)
        try:
            r = yield call(self.tid, (op,) + args, self._timeout)
        except Dead:
            self.tid = None
            raise
        if is_err(r):
            raise ServerError(r[1], r[2])
        return r

    def __getattr__(self, op):
        if op not in self._protocol:
            raise AttributeError(op)

        def method(*args):
            return self.request(op, *args)

        return method


def describe(protocol):
    # The protocol as text, one line per op: for docs and the console's `help`.
    lines = []
    for op in sorted(protocol):
        params, rep, errors = protocol[op]
        sig = ", ".join(p[0] if len(p) == 2 else "%s=%r" % (p[0], p[2]) for p in params)
        lines.append("%s(%s) -> %s%s" % (op, sig, rep, ("  errors: " + ", ".join(errors)) if errors else ""))
    return "\n".join(lines)
