# A stand-in kernel for mpk's inspection tests: a loop, snapshot(), and a console server.
import sys, json, time
try:
    import select
except ImportError:
    select = None
PREFIX = '\x1empk:'

class K:
    def __init__(self, server):
        self.n = 0
        self.server = server
        self.runs = 0
    def snapshot(self):
        return {"tasks": [{"tid": 1, "name": "idle", "state": "ready", "prio": 0, "mailbox": [0, 4], "cpu_ms": self.n},
                          {"tid": 2, "name": "i2c0", "state": "recv", "prio": 1, "mailbox": [1, 8], "cpu_ms": 3}],
                "stats": {"ticks": self.n, "runs": self.runs},
                "trace": [{"seq": i, "kind": "send", "src": "app", "dst": "i2c0"} for i in range(1, 4)],
                "log": [{"seq": 1, "level": "info", "task": "app", "text": "hello"}]}
    def handle(self, line):
        i = line.find(PREFIX)
        if i < 0:
            return
        req = json.loads(line[i + len(PREFIX):])
        cmd = req.get("cmd")
        if cmd == "hello":
            data = {"protocol": 1, "commands": ["hello", "snapshot", "trace"]}
        elif cmd == "snapshot":
            data = self.snapshot()
        elif cmd == "trace":
            since = req.get("args", {}).get("since") or 0
            data = [e for e in self.snapshot()["trace"] if e["seq"] > since]
        else:
            print(PREFIX + json.dumps({"id": req.get("id"), "ok": False, "error": "unknown command"}))
            return
        print(PREFIX + json.dumps({"id": req.get("id"), "ok": True, "data": data}))
    def run(self):
        self.runs += 1
        print('kernel running', self.runs)
        buf = ''
        p = None
        if self.server:
            p = select.poll()
            p.register(sys.stdin, select.POLLIN)
        try:
            while True:
                self.n += 1
                if p:
                    if p.poll(10):
                        c = sys.stdin.read(1)
                        if c == '\n' or c == '\r':
                            if buf:
                                self.handle(buf)
                            buf = ''
                        else:
                            buf += c
                else:
                    time.sleep_ms(10)
        except KeyboardInterrupt:
            print('kernel stopped')

_k = None

def running_kernel():
    return _k

def start(server=False):
    global _k
    _k = K(server)
    _k.run()
