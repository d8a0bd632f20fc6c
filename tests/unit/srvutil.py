# Helpers for server unit tests (CPython and the MicroPython unix port): run servers and a
# test body as tasks on a fresh kernel, and scratch directories for the fs/log servers.
import os
import kernel
from kernel import sleep

_n = [0]


def run(body, servers=(), timeout_ms=3000, kernel_args=None):
    # servers: (fn, args_tuple, kwargs_dict) entries spawned first (kwargs may hold the
    # spawn options name/prio/mailbox). body: a generator function taking no argument;
    # an exception in it is raised here. Returns the kernel (still holding all state).
    k = kernel.Kernel(**(kernel_args or {}))
    for fn, args, kw in servers:
        k.spawn(fn, *args, **kw)
    out = {}

    def body_task():
        try:
            yield from body()
            out["ok"] = True
        except Exception as e:  # noqa: reported by the caller
            out["exc"] = e
        yield kernel.stop()

    def guard():
        yield sleep(timeout_ms)
        out["timeout"] = True
        yield kernel.stop()

    # The body may kill and spawn what it tests, and both stop the kernel: privileged.
    k.spawn(body_task, name="body", prio=1, privileged=True)
    k.spawn(guard, name="guard", privileged=True)
    k.run()
    if "exc" in out:
        raise out["exc"]
    assert not out.get("timeout"), "test body did not finish within %d ms" % timeout_ms
    assert out.get("ok"), "test body never finished"
    return k


def server(fn, *args, config=None, **kw):
    # config: the server's keyword settings, given as the supervisor gives them:
    # fn(name, **config) (name: the spawn option's, else fn's default).
    if config is not None:
        name = kw.get("name")
        kw.setdefault("name", getattr(fn, "__name__", "task"))
        fn, args = _configured, (fn, name, config)
    return (fn, args, kw)


def _configured(entry, name, config):
    return entry(name, **config) if name else entry(**config)


def tmpdir():
    _n[0] += 1
    path = "/tmp/mpk-unit-%s-%d" % ("".join("%02x" % b for b in os.urandom(4)), _n[0])
    os.mkdir(path)
    return path


def rmtree(path):
    try:
        st = os.stat(path)
    except OSError:
        return
    if st[0] & 0x4000:
        for n in os.listdir(path):
            rmtree(path + "/" + n)
        os.rmdir(path)
    else:
        os.remove(path)


def listing(path):
    # Every file under path (relative names, sorted), temporary ones included.
    out = []

    def walk(p, rel):
        for n in os.listdir(p):
            q = p + "/" + n
            if os.stat(q)[0] & 0x4000:
                walk(q, rel + n + "/")
            else:
                out.append(rel + n)
    walk(path, "")
    return sorted(out)
