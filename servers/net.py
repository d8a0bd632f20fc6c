# net: Wi-Fi station and a minimal HTTP GET, on boards with a radio (Pico W, ESP32).
# On boards without one every op but "available" answers ("err", "unavail",
# "no radio on <board>").
#
# Nothing here blocks the loop for long: joining a network is polled with kernel.sleep,
# and the HTTP request uses a non-blocking socket polled the same way. Two calls do
# block: DNS (getaddrinfo) and "scan" (about 1.5 s on a Pico W); call them rarely.
import kernel
from kernel import port
from servers.lib.base import serve, configure, ServerError, BADREQ, IO, UNAVAIL
from servers.api.net import PROTOCOL


POLL_MS = 20
# errno values meaning "not yet" on a non-blocking socket: EAGAIN, ENOTCONN, EALREADY,
# EINPROGRESS (Linux and rp2's lwIP: 115; ESP-IDF: 119).
_NOT_YET = (11, 107, 114, 115, 119)


def _failure_codes():
    # The port's wlan.status() values that mean "gave up" (network.STAT_*).
    codes = []
    try:
        import network
    except ImportError:
        return codes
    for n in ("STAT_WRONG_PASSWORD", "STAT_NO_AP_FOUND", "STAT_CONNECT_FAIL",
              "STAT_HANDSHAKE_TIMEOUT", "STAT_BEACON_TIMEOUT", "STAT_ASSOC_FAIL"):
        v = getattr(network, n, None)
        if v is not None:
            codes.append(v)
    return codes


def parse_url(url):
    # "http://host[:port][/path]" -> (host, port, path)
    if not url.startswith("http://"):
        raise ServerError(BADREQ, "only http:// URLs (no TLS here)")
    rest = url[7:]
    i = rest.find("/")
    hostport, path = (rest, "/") if i < 0 else (rest[:i], rest[i:])
    port_ = 80
    if ":" in hostport:
        hostport, p = hostport.rsplit(":", 1)
        if not p.isdigit():
            raise ServerError(BADREQ, "bad port in %s" % url)
        port_ = int(p)
    if not hostport:
        raise ServerError(BADREQ, "no host in %s" % url)
    return hostport, port_, path


def parse_response(data, max_bytes):
    i = data.find(b"\r\n\r\n")
    if i < 0 or not data.startswith(b"HTTP/"):
        raise ServerError(IO, "not an HTTP response")
    parts = data[:data.find(b"\r\n")].split(b" ")
    try:
        code = int(parts[1])
    except (IndexError, ValueError):
        raise ServerError(IO, "bad status line")
    return code, bytes(data[i + 4:i + 4 + max_bytes])


class Net:
    def __init__(self, wlan, board_name, sockets=None):
        self.wlan = wlan
        self.board_name = board_name
        self.sockets = sockets
        self.ssid = None
        self.failures = _failure_codes()

    def radio(self):
        if self.wlan is None:
            raise ServerError(UNAVAIL, "no radio on %s" % self.board_name)
        return self.wlan

    def op_available(self, sender):
        return self.wlan is not None

    def op_connect(self, sender, ssid, password, timeout_ms):
        w = self.radio()
        if not ssid:
            raise ServerError(BADREQ, "empty ssid")
        w.active(True)
        w.connect(ssid, password)
        return self._join(w, ssid, timeout_ms)

    def _join(self, w, ssid, timeout_ms):
        t0 = port.ticks_ms()
        while not w.isconnected():
            st = w.status()
            if (type(st) is int and st < 0) or st in self.failures:
                raise ServerError(IO, "joining %s failed (status %s)" % (ssid, st))
            if port.ticks_diff(port.ticks_ms(), t0) > timeout_ms:
                w.disconnect()
                raise ServerError(IO, "joining %s timed out (status %s)" % (ssid, st))
            yield kernel.sleep(100)
        self.ssid = ssid
        return w.ifconfig()[0]

    def op_disconnect(self, sender):
        self.radio().disconnect()
        self.ssid = None
        return True

    def op_status(self, sender):
        w = self.radio()
        up = bool(w.isconnected())
        return {"connected": up, "status": w.status(), "ip": w.ifconfig()[0] if up else None,
                "ssid": self.ssid if up else None}

    def op_scan(self, sender):
        w = self.radio()
        w.active(True)
        out = []
        for r in w.scan():
            ssid = r[0].decode() if isinstance(r[0], (bytes, bytearray)) else str(r[0])
            out.append((ssid, "".join("%02x" % b for b in r[1]), r[2], r[3], r[4]))
        out.sort(key=lambda r: -r[3])
        return out

    def op_http_get(self, sender, url, timeout_ms, max_bytes):
        w = self.radio()
        host, port_, path = parse_url(url)
        if max_bytes < 0:
            raise ServerError(BADREQ, "max_bytes must be >= 0")
        if not w.isconnected():
            raise ServerError(IO, "not connected to a network")
        return self._get(host, port_, path, timeout_ms, max_bytes)

    def _get(self, host, port_, path, timeout_ms, max_bytes):
        sk = self.sockets
        if sk is None:
            import socket as sk
        t0 = port.ticks_ms()
        try:
            addr = sk.getaddrinfo(host, port_)[0][-1]
        except (OSError, IndexError) as e:
            raise ServerError(IO, "cannot resolve %s: %s" % (host, e))
        s = sk.socket()
        try:
            s.setblocking(False)
            try:
                s.connect(addr)
            except OSError as e:
                if not _not_yet(e):
                    raise
            req = ("GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (path, host)).encode()
            sent = 0
            while sent < len(req):
                try:
                    n = s.send(req[sent:])
                    sent += n or 0
                    continue
                except OSError as e:
                    if not _not_yet(e):
                        raise
                yield from _wait(t0, timeout_ms, "sending to " + host)
            data = bytearray()
            limit = max_bytes + 1024        # room for the status line and headers
            while len(data) < limit:
                try:
                    chunk = s.recv(512)
                except OSError as e:
                    if not _not_yet(e):
                        raise
                    yield from _wait(t0, timeout_ms, "waiting for " + host)
                    continue
                if not chunk:
                    break
                data.extend(chunk)
            return parse_response(data, max_bytes)
        finally:
            s.close()


def _not_yet(e):
    return bool(e.args) and e.args[0] in _NOT_YET


def _wait(t0, timeout_ms, what):
    if port.ticks_diff(port.ticks_ms(), t0) > timeout_ms:
        raise ServerError(IO, "timed out %s" % what)
    yield kernel.sleep(POLL_MS)


def _board_radio():
    import boards
    import hal

    try:
        b = boards.current()
    except ValueError:
        return None, "an unknown board"
    return hal.wlan(b), b.NAME


# wlan: a network.WLAN-like object (tests), None for the board's radio; board_name: how
# errors name the board; sockets: a socket module stand-in (tests).
CONFIG = {"wlan": None, "board_name": None, "sockets": None}


def main(name="net", **config):
    c = configure(CONFIG, config, name)
    wlan, board_name = c["wlan"], c["board_name"]
    if wlan is None:
        yield kernel.claim("wlan")         # the board's radio: the image's owner only
        wlan, detected = _board_radio()
        board_name = board_name or detected
    yield from serve(PROTOCOL, Net(wlan, board_name or "this board", c["sockets"]), name)


