# Malformed and hostile requests: what a buggy or malicious client sends. Each must get
# an error reply (or a proper one) and must neither end nor hold the server. Requests
# that would pass the checks and change what the verified load relies on (making the
# sender a critical task, running console commands, setting the log level, starting
# 1 ms timers) are not sent: they are legitimate requests, not hostile ones.


class Sly(str):
    # Passes isinstance(v, str); its methods raise inside whoever calls them.
    def startswith(self, *a):
        raise RuntimeError("sly startswith")

    def split(self, *a):
        raise RuntimeError("sly split")

    def encode(self, *a):
        raise RuntimeError("sly encode")


class Touchy:
    # Every comparison, hash and conversion raises.
    def __eq__(self, other):
        raise RuntimeError("touchy eq")

    def __hash__(self):
        raise RuntimeError("touchy hash")

    def __repr__(self):
        raise RuntimeError("touchy repr")

    def __str__(self):
        raise RuntimeError("touchy str")

    def __len__(self):
        raise RuntimeError("touchy len")


def _deep(n):
    v = []
    for _ in range(n):
        v = [v]
    return v


HUGE_STR = "G" * 20000
HUGE_BYTES = b"\xff" * 6000
POOL = (0, 1, -1, 7, 2 ** 31, -2 ** 31, 2 ** 64, -(2 ** 70), 10 ** 30, 1.5, True, False, None,
        "", "GP99", "x" * 200, HUGE_STR, Sly("GP2"), Sly("a"), Touchy(), b"", b"\x00" * 64,
        HUGE_BYTES, bytearray(3), [], [1, [2, [3]]], _deep(60), {"a": 1}, {1: Touchy()},
        (1, 2), (Touchy(),), memoryview(b"abc"), object(), float("inf"))
NOT_TUPLES = ([], "ping", 7, None, {"op": 1}, b"op", Touchy(), ())

# (server, op) pairs that are not sent well-formed (see the top).
KEEP_OUT = (("watchdog", "watch"), ("watchdog", "unwatch"), ("console", "run"),
            ("console", "json"), ("console", "quiet"), ("log", "level"), ("timer", "periodic"),
            ("timer", "oneshot"), ("uart", "open"), ("spi", "configure"))


def request(rng, protocol, check):
    # One hostile request for a server with this protocol, or None (a well-formed request
    # that is kept out). check: servers.lib.base.check.
    r = rng.below(100)
    if r < 6:
        return rng.pick(NOT_TUPLES)
    if r < 10:
        return (rng.pick(POOL),) + tuple(rng.pick(POOL) for _ in range(rng.below(3)))
    ops = sorted(protocol)
    op = rng.pick(ops) if r >= 14 else rng.pick(("nosuch", HUGE_STR, Sly("ping"), "op_x"))
    n = len(protocol[op][0]) if op in protocol else 2
    args = tuple(rng.pick(POOL) for _ in range(rng.below(n + 3)))
    return (op,) + args


def well_formed(protocol, msg, check):
    try:
        return check(protocol, msg)[0] is not None
    except Exception:              # the checker itself must not raise: counted by the caller
        return None
