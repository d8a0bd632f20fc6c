# net server: "unavail" without a radio; connect/status/scan/http_get with a fake WLAN and
# fake non-blocking sockets. Runs under CPython (pytest) and the MicroPython unix port.
from kernel import call, lookup
from servers import net
from servers.api import net as net_api
from servers.lib.base import ServerError
from srvutil import run, server


class FakeWLAN:
    def __init__(self, password="secret", polls_to_join=3):
        self.password = password
        self.polls = polls_to_join
        self.up = False
        self.on = False
        self.st = 0
        self.joining = False

    def active(self, on=None):
        if on is not None:
            self.on = on
        return self.on

    def connect(self, ssid, password):
        assert self.on
        self.joining = True
        self.left = self.polls
        self.st = 1 if password == self.password else -3       # rp2: STAT_WRONG_PASSWORD

    def isconnected(self):
        if self.joining and self.st == 1:
            self.left -= 1
            if self.left <= 0:
                self.up, self.st, self.joining = True, 3, False
        return self.up

    def status(self):
        return self.st

    def disconnect(self):
        self.up, self.st, self.joining = False, 0, False

    def ifconfig(self):
        return ("192.168.4.20", "255.255.255.0", "192.168.4.1", "8.8.8.8") if self.up else ("0.0.0.0",) * 4

    def scan(self):
        return [(b"weak", b"\x01\x02\x03\x04\x05\x06", 6, -80, 3, False),
                (b"strong", b"\xaa\xbb\xcc\xdd\xee\xff", 11, -40, 4, False)]


class FakeSocket:
    # Non-blocking: connect says EINPROGRESS, the first send and some recvs say EAGAIN.
    def __init__(self, mod):
        self.mod = mod
        self.sent = b""
        self.reply = list(mod.chunks)
        self.closed = False
        self.again = 2

    def setblocking(self, flag):
        assert flag is False

    def connect(self, addr):
        self.mod.connected_to = addr
        raise OSError(115)

    def send(self, b):
        if self.again:
            self.again -= 1
            raise OSError(11)
        self.sent += bytes(b[:10])                # partial sends
        return min(10, len(b))

    def recv(self, n):
        if self.mod.stall:
            raise OSError(11)
        if self.reply and self.reply[0] is None:
            self.reply.pop(0)
            raise OSError(11)
        return self.reply.pop(0)[:n] if self.reply else b""

    def close(self):
        self.closed = True


class FakeSockets:
    def __init__(self, chunks, stall=False):
        self.chunks = chunks
        self.stall = stall
        self.made = []
        self.connected_to = None

    def getaddrinfo(self, host, port):
        if host == "nowhere":
            raise OSError(-2)
        return [(2, 1, 0, "", (host, port))]

    def socket(self):
        s = FakeSocket(self)
        self.made.append(s)
        return s


def expect(code, gen):
    try:
        yield from gen
    except ServerError as e:
        assert e.code == code, (code, e.code, e.text)
        return e.text
    raise AssertionError("no %s error" % code)


def test_no_radio_means_unavail_for_everything():
    def body():
        c = net_api.client()
        assert (yield from c.available()) is False
        for gen in (c.connect("x", "y"), c.status(), c.scan(), c.disconnect(),
                    c.http_get("http://example.com/")):
            assert (yield from expect("unavail", gen)) == "no radio on pico"
        srv = yield lookup("net")
        r = yield call(srv, ("connect",))
        assert r[0] == "err" and r[1] == "badreq"
    run(body, [server(net.main, config={"wlan": None, "board_name": "pico"})])


def test_board_without_radio_detected():
    # Off the board (CPython, unix port) no board is detected: still a clean unavail.
    def body():
        assert (yield from expect("unavail", net_api.client().status())).startswith("no radio on ")
    run(body, [server(net.main)])


def test_connect_status_scan_disconnect():
    w = FakeWLAN()

    def body():
        c = net_api.client()
        assert (yield from c.available())
        assert (yield from c.status())["connected"] is False
        assert "failed" in (yield from expect("io", c.connect("home", "wrong")))
        assert (yield from c.connect("home", "secret")) == "192.168.4.20"
        st = yield from c.status()
        assert st == {"connected": True, "status": 3, "ip": "192.168.4.20", "ssid": "home"}
        nets = yield from c.scan()
        assert nets[0] == ("strong", "aabbccddeeff", 11, -40, 4) and nets[1][0] == "weak"
        assert (yield from c.disconnect())
        assert (yield from c.status())["connected"] is False
        yield from expect("badreq", c.connect(""))
    run(body, [server(net.main, config={"wlan": w, "board_name": "pico_w"})])


def test_connect_times_out():
    w = FakeWLAN(polls_to_join=10 ** 6)

    def body():
        assert "timed out" in (yield from expect("io", net_api.client().connect("slow", "secret", 250)))
        assert not w.joining                   # gave up: disconnected
    run(body, [server(net.main, config={"wlan": w, "board_name": "pico_w"})])


def test_http_get_over_non_blocking_socket():
    w = FakeWLAN(polls_to_join=1)
    sk = FakeSockets([None, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n", None,
                      b"\r\nhello ", b"world"])

    def body():
        c = net_api.client()
        yield from expect("io", c.http_get("http://example.com/x"))      # not connected yet
        yield from c.connect("home", "secret")
        status, body_ = yield from c.http_get("http://example.com:8080/a/b?c=1")
        assert status == 200 and body_ == b"hello world"
        assert sk.connected_to == ("example.com", 8080)
        req = sk.made[0].sent
        assert req.startswith(b"GET /a/b?c=1 HTTP/1.0\r\nHost: example.com\r\n") and req.endswith(b"\r\n\r\n")
        assert sk.made[0].closed
        sk.chunks = [b"HTTP/1.1 404 Not Found\r\n\r\n0123456789"]
        assert (yield from c.http_get("http://example.com", 1000, 4)) == (404, b"0123")
        yield from expect("badreq", c.http_get("https://example.com/"))
        yield from expect("badreq", c.http_get("http://:80/"))
        yield from expect("io", c.http_get("http://nowhere/"))
        sk.chunks = [b"garbage"]
        yield from expect("io", c.http_get("http://example.com/"))
        sk.stall = True
        assert "timed out" in (yield from expect("io", c.http_get("http://example.com/", 100)))
        assert all(s.closed for s in sk.made)
    run(body, [server(net.main, config={"wlan": w, "board_name": "pico_w", "sockets": sk})])


def test_parse_url():
    assert net.parse_url("http://h") == ("h", 80, "/")
    assert net.parse_url("http://h:81/p") == ("h", 81, "/p")
