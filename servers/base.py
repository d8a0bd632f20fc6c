# What every server shares: the protocol table format, request checking, the serving
# loop, error replies, and the client helper that applications and HIL tests use.
#
# A protocol is a dict  op -> (args, reply, errors)
#   args:   tuple of (name, type) or (name, type, default); type is int, str, bytes
#           (bytes or bytearray), bool, list, tuple, dict or None (any value)
#   reply:  a short text saying what a successful reply is
#   errors: tuple of the error codes the op can return
# A request is the tuple (op, arg1, arg2, ...). A reply is the value, or
# ("err", code, text). Errors never cross IPC as exceptions.
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


def _type_ok(v, ty):
    if ty is None:
        return True
    if ty is bytes:
        return isinstance(v, _BYTES)
    if ty is int:
        return type(v) is int or type(v) is bool
    return isinstance(v, ty)


def check(protocol, msg):
    # Returns (handler name, args) or an error reply for a malformed request.
    if type(msg) is not tuple or not msg or type(msg[0]) is not str:
        return None, err(BADREQ, "a request is a tuple (op, args...)")
    spec = protocol.get(msg[0])
    if spec is None:
        return None, err(BADREQ, "unknown op %r" % (msg[0],))
    params = spec[0]
    args = list(msg[1:])
    if len(args) > len(params):
        return None, err(BADREQ, "%s takes at most %d arguments" % (msg[0], len(params)))
    for i, p in enumerate(params):
        if i < len(args):
            if not _type_ok(args[i], p[1]):
                return None, err(BADREQ, "%s: %s must be %s" % (msg[0], p[0], _tname(p[1])))
        elif len(p) > 2:
            args.append(p[2])
        else:
            return None, err(BADREQ, "%s: missing %s" % (msg[0], p[0]))
    return msg[0], args


def _tname(ty):
    return "bytes" if ty is bytes else ty.__name__


def dispatch(protocol, impl, sender, msg):
    # Run one request against impl (method op_<name>(sender, *args)). Returns the reply,
    # a generator (the handler needs system calls), or NO_REPLY.
    op, args = check(protocol, msg)
    if op is None:
        return args
    try:
        return getattr(impl, "op_" + op)(sender, *args)
    except ServerError as e:
        return err(e.code, e.text)
    except OSError as e:
        return err(IO, _oserror_text(e))
    except (ValueError, TypeError) as e:
        return err(BADREQ, "%s: %s" % (op, e))


def _oserror_text(e):
    code = e.args[0] if e.args else 0
    return {5: "EIO", 19: "ENODEV", 110: "ETIMEDOUT", 116: "ETIMEDOUT"}.get(code, str(e))


def is_gen(r):
    return r is not None and hasattr(r, "send") and not isinstance(r, _BYTES)


def finish(r, op):
    # Generator: run a handler that makes system calls itself (what dispatch returned)
    # and return its reply, its errors turned into error replies as dispatch does.
    try:
        return (yield from r)
    except ServerError as e:
        return err(e.code, e.text)
    except OSError as e:
        return err(IO, _oserror_text(e))
    except (ValueError, TypeError) as e:
        return err(BADREQ, "%s: %s" % (op, e))


def serve(protocol, impl, name=None):
    # The serving loop every server runs (as `yield from serve(...)`). Notifications and
    # kernel messages go to impl.on_kernel(msg) when defined; an impl with period_ms also
    # gets impl.on_tick() that often (the watchdog feeds, the console polls its input),
    # and a steady stream of requests cannot starve the tick: the deadline is checked
    # after every message. Handlers get the caller's tid; the reply goes to the call. An
    # impl with a client_names dict gets each caller's name in it (tid -> name).
    # Exceptions other than ServerError/OSError/ValueError/TypeError end the server: its
    # supervisor restarts it with fresh state, and waiting callers get Dead.
    if name is not None:
        yield kernel.register(name)
    on_kernel = getattr(impl, "on_kernel", None)
    names = getattr(impl, "client_names", None)
    period = getattr(impl, "period_ms", None)
    due = port.ticks_add(port.ticks_ms(), period) if period else None
    while True:
        if due is not None:
            wait = port.ticks_diff(due, port.ticks_ms())
            if wait <= 0:
                r = impl.on_tick()
                if is_gen(r):
                    yield from r
                due = port.ticks_add(port.ticks_ms(), impl.period_ms)
                continue
            try:
                sender, msg = yield recv(wait)
            except kernel.Timeout:
                continue
        else:
            sender, msg = yield recv()
        if sender == KERNEL:
            if on_kernel is not None:
                r = on_kernel(msg)
                if is_gen(r):
                    yield from r
            continue
        tid = client(sender)
        if names is not None and tid not in names:
            # Servers that tell clients apart by name (fs jails, watchdog slots) have it at
            # hand: the name a task was spawned under outlives its tid across restarts.
            if len(names) >= 32:           # tids of old incarnations: forget them all
                names.clear()
            names[tid] = yield kernel.info("name", tid)
        r = dispatch(protocol, impl, tid, msg)
        if is_gen(r):
            r = yield from finish(r, msg[0])
        if r is not NO_REPLY:
            yield reply(sender, r)


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
