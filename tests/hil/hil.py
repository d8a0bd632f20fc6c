# On-device helper for HIL tests: start a system of named servers under a supervisor,
# run a test body as a task, and turn a failure inside the body into an AssertionError
# that carries the body's own traceback.
#
#   import hil
#   from servers import gpio
#
#   def test_led():
#       def body():
#           g = gpio.client()
#           yield from g.claim("LED", "out")
#           assert (yield from g.toggle("LED")) == 1
#       hil.run(body, servers=("gpio",))
#
# servers: names ("gpio" -> servers.gpio.main, restarted by the supervisor) or full task
# specs (dicts, see servers/supervisor.py). The body starts once every server has
# registered its name. The body runs privileged (it may kill, spawn and read the kernel
# through system calls, like the supervisor). hil.resets lists the board resets the
# supervisor asked for (recorded, not done); hil.kernel() is the last run's kernel, for a
# test to read once run() has returned (a body uses system calls).
import kernel as K
from kernel import port

resets = []
_k = None


class BodyTimeout(AssertionError):
    pass


def kernel():
    # The kernel of the last hil.run(), stopped (read it between runs, not from a task).
    return _k


def spec(server, **over):
    # The task spec hil.run uses for a server name (overrides as keywords).
    s = {"name": server} if type(server) is str else dict(server)
    s.setdefault("prio", 4)
    s.setdefault("group", "hil")
    s.update(over)
    return s


def run(body, servers=(), timeout_ms=5000, supervisor=None, board=None, args=(), idle=None):
    # Runs body(*args) (a generator function) as a task beside the servers; returns what
    # the body returned. Raises AssertionError with the body's traceback if it failed,
    # BodyTimeout if it did not finish within timeout_ms. supervisor: its config (see
    # servers/supervisor.py DEFAULTS); idle: the kernel's idle function (unit tests).
    global _k
    from servers import supervisor as sup_mod

    if board is not None:
        import boards

        boards.current(board)
    del resets[:]
    specs = [spec(s) for s in servers]
    k = K.Kernel(trace=64, forever=True, idle=idle)
    _k = k
    out = {"done": False, "value": None, "error": None, "tb": ""}

    def record_reset(why):
        resets.append(why)

    def wrapper():
        try:
            for s in specs:
                if s.get("register", True):
                    try:
                        yield K.lookup(s["name"], timeout_ms // 2)
                    except K.Timeout:
                        why = yield from _why(s["name"])
                        raise AssertionError("server %r did not start: %s" % (s["name"], why))
            out["value"] = yield from body(*args)
            out["done"] = True
        except Exception as e:
            out["error"] = e
            out["tb"] = port.format_exception(e)
            out["done"] = True
        yield K.stop()

    def watchdog():
        yield K.sleep(timeout_ms)
        yield K.stop()

    # The body and the timeout stop the kernel, and a body may kill and spawn: privileged,
    # like the supervisor; the servers get what their specs say.
    config = dict(supervisor or {}, tasks=specs, reset=record_reset)
    k.spawn(lambda: sup_mod.main("supervisor", **config), name="supervisor", prio=6, mailbox=16,
            privileged=True)
    k.spawn(wrapper, name="hil-body", prio=2, mailbox=16, privileged=True)
    k.spawn(watchdog, name="hil-timeout", prio=7, privileged=True)
    try:
        r = k.run()
    finally:
        _shutdown(k)
    if r == "interrupted":
        raise KeyboardInterrupt
    if out["error"] is not None:
        e = out["error"]
        raise AssertionError("%s: %s\n--- body traceback (board side) ---\n%s"
                             % (type(e).__name__, e, out["tb"]))
    if not out["done"]:
        faults = "".join("\n  %s: %s %s" % (f["name"], f["type"], f["text"]) for f in k.faults())
        raise BodyTimeout("test body did not finish within %d ms%s" % (timeout_ms, faults))
    return out["value"]


def _shutdown(k):
    # Kill everything (the supervisor first, so nothing is restarted): servers' finally
    # blocks free their hardware (IRQs off, timers stopped).
    order = sorted(k.tasks(), key=lambda t: 0 if _name(k, t) == "supervisor" else 1)
    for tid in order:
        try:
            k.kill(tid)
        except K.Dead:
            pass


def _why(name):
    # Generator: what the supervisor's history says of the server's last end.
    from servers.api import supervisor as sup_api

    try:
        recs = yield from sup_api.client(timeout=500).history()
    except Exception as e:
        return "the supervisor does not answer (%s)" % type(e).__name__
    recs = [r for r in recs if r["name"] == name]
    return recs[-1]["reason"] if recs else "it never registered its name"


def _name(k, tid):
    try:
        return k.task_info(tid)["name"]
    except K.Dead:
        return None


def wait_for(cond, timeout_ms=2000, step_ms=5):
    # In a body: `yield from hil.wait_for(lambda: x > 0)`; False on timeout.
    t0 = port.ticks_ms()
    while not cond():
        if port.ticks_diff(port.ticks_ms(), t0) > timeout_ms:
            return False
        yield K.sleep(step_ms)
    return True


def recv_match(pred, timeout_ms=1000):
    # In a body: the next message (sender, msg) for which pred(msg) is true; others are
    # dropped. Raises K.Timeout.
    t0 = port.ticks_ms()
    while True:
        left = timeout_ms - port.ticks_diff(port.ticks_ms(), t0)
        if left <= 0:
            raise K.Timeout("recv_match")
        sender, msg = yield K.recv(left)
        if pred(msg):
            return sender, msg


def needs(*features):
    # @hil.needs("wifi", "i2c"): the host (host_tools/hil/collect.py reads this from the
    # source) skips the test, with a reason, on a board that lacks one of the features
    # (its servers, "wifi", "virtual"/"real", its name, ...). On the board it changes nothing.
    # A module-level NEEDS = ("i2c",) does the same for every test of a module.
    def deco(fn):
        return fn
    return deco


def board_sim():
    # The world outside a virtual board: simboard on the unix-port board, simworld on the
    # emulated Pico (the same calls); None on a real board and in unit tests.
    for name in ("simboard", "simworld"):
        try:
            return __import__(name)
        except ImportError:
            pass
    return None
