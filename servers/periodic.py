# The serving loop for servers that also need a clock: the same request handling as
# servers.base.serve, plus impl.on_tick() every impl.period_ms milliseconds (the
# watchdog feeds, the console polls its input). A steady stream of requests cannot
# starve the tick: the deadline is checked after every message, not only on timeouts.
import kernel
from kernel import recv, reply, Timeout, KERNEL, port
from servers.base import dispatch, err, NO_REPLY, ServerError, IO, BADREQ

_BYTES = (bytes, bytearray, memoryview)


def _is_gen(r):
    return r is not None and hasattr(r, "send") and not isinstance(r, _BYTES)


def serve_periodic(protocol, impl, name=None):
    if name is not None:
        yield kernel.register(name)
    on_kernel = getattr(impl, "on_kernel", None)
    due = port.ticks_add(port.ticks_ms(), impl.period_ms)
    while True:
        wait = port.ticks_diff(due, port.ticks_ms())
        if wait <= 0:
            r = impl.on_tick()
            if _is_gen(r):
                yield from r
            due = port.ticks_add(port.ticks_ms(), impl.period_ms)
            continue
        try:
            sender, msg = yield recv(wait)
        except Timeout:
            continue
        if sender == KERNEL:
            if on_kernel is not None:
                r = on_kernel(msg)
                if _is_gen(r):
                    yield from r
            continue
        r = dispatch(protocol, impl, sender, msg)
        if _is_gen(r):
            try:
                r = yield from r
            except ServerError as e:
                r = err(e.code, e.text)
            except OSError as e:
                r = err(IO, str(e))
            except (ValueError, TypeError) as e:
                r = err(BADREQ, str(e))
        if r is not NO_REPLY:
            yield reply(sender, r)
