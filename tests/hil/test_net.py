# net server on a board without a radio (the virtual board is a plain Pico): every op
# answers "unavail", and the server keeps serving.
import kernel
import hil
import boards
from servers.api import net
from servers.lib.base import ServerError

HIL_TIMEOUT_S = 20


def test_no_radio_is_unavail():
    def body():
        c = net.client()
        assert (yield from c.available()) is (boards.current().HAS_WIFI is True)
        if boards.current().HAS_WIFI:
            return
        for gen in (c.connect("ssid", "pw"), c.status(), c.scan(),
                    c.http_get("http://example.com/")):
            try:
                yield from gen
                assert False, "no error"
            except ServerError as e:
                assert e.code == "unavail" and e.text == "no radio on %s" % boards.current().NAME, e
        r = yield kernel.call((yield kernel.lookup("net")), ("scan", "extra"))
        assert r[0] == "err" and r[1] == "badreq"
        assert (yield from c.available()) is False
    hil.run(body, servers=("net",))


@hil.needs("wifi")
def test_radio_scan_lists_networks():
    # Only on a board with a radio (skipped, with the reason, on the virtual board).
    def body():
        c = net.client(timeout=10000)
        assert (yield from c.available()) is True
        nets = yield from c.scan()
        assert type(nets) is list, nets
        for n in nets:
            assert len(n) == 5 and type(n[0]) is str, n
    hil.run(body, servers=("net",), timeout_ms=15000)
