# Template server: copy this file and servers/api/template.py to start a new one. It
# keeps a named counter per client and shows the parts every server has:
#   1. servers/api/<name>.py: PROTOCOL (the ops, their arguments, replies and errors, as
#      data) and client(), all an application imports to talk to the server;
#   2. a class with one op_<name>(sender, ...) method per op, returning the reply (and
#      close(), if it holds hardware: serve() calls it however the server ends);
#   3. CONFIG, its settings with their defaults (the image's "config" sets them);
#   4. main(name, **config), the task entry the system image names.
# tests/host/test_server_shape.py checks every server against this shape.
from servers.lib.base import serve, configure, ServerError, NOENT, QUOTA
from servers.api.template import PROTOCOL


MAX_KEYS = 8


class Counters:
    def __init__(self, max_keys=MAX_KEYS):
        self.values = {}        # (client tid, key) -> int
        self.max_keys = max_keys

    def op_add(self, sender, key, n):
        k = (sender, key)
        if k not in self.values and len(self.keys_of(sender)) >= self.max_keys:
            raise ServerError(QUOTA, "at most %d keys per client" % self.max_keys)
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


CONFIG = {"max_keys": MAX_KEYS}     # counters one client may keep


def main(name="counter", **config):
    c = configure(CONFIG, config, name)
    yield from serve(PROTOCOL, Counters(c["max_keys"]), name)
