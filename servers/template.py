# Template server: copy this file to start a new one. It keeps a named counter per
# client and shows the three parts every server has:
#   1. PROTOCOL: the ops, their arguments, replies and errors, as data;
#   2. a class with one op_<name>(sender, ...) method per op, returning the reply;
#   3. main(), the task entry the system image names, and client() for callers.
from servers.base import serve, Client, ServerError, NOENT, QUOTA

PROTOCOL = {
    "add": ((("key", str), ("n", int, 1)), "the new value", (QUOTA,)),
    "get": ((("key", str),), "the value", (NOENT,)),
    "keys": ((), "list of this client's keys", ()),
}

MAX_KEYS = 8


class Counters:
    def __init__(self):
        self.values = {}        # (client tid, key) -> int

    def op_add(self, sender, key, n):
        k = (sender, key)
        if k not in self.values and len(self.keys_of(sender)) >= MAX_KEYS:
            raise ServerError(QUOTA, "at most %d keys per client" % MAX_KEYS)
        self.values[k] = self.values.get(k, 0) + n
        return self.values[k]

    def op_get(self, sender, key):
        try:
            return self.values[(sender, key)]
        except KeyError:
            raise ServerError(NOENT, key)

    def op_keys(self, sender):
        return self.keys_of(sender)

    def keys_of(self, sender):
        return sorted(k for (s, k) in self.values if s == sender)


def main(name="counter"):
    yield from serve(PROTOCOL, Counters(), name)


def client(name="counter", timeout=None):
    return Client(PROTOCOL, name, timeout)
