"""Server benchmarks on the virtual board.

    gpio IRQ edge -> subscriber message latency (us, median and p95)
    i2c register read through the server vs a direct machine.I2C call (ratio)
    restart time of a crashed server: fault -> new incarnation registered (ms)

The board side is bench/board_servers.py, run through the same session setup as the HIL
tests (host_tools/hil/session.py: compiled tree copied to a virtual board).

    python -m bench.servers_bench       # prints the rows; run() returns them
"""
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _board(tmpdir):
    sys.path.insert(0, os.path.join(ROOT, "tests", "host"))
    try:
        from host_tools.hil import session as h
    finally:
        sys.path.pop(0)
    b = h.Board(tmpdir)
    # the board-side benchmark module beside the HIL modules
    import subprocess
    from host_tools.build import mpy_cross_path

    dst = os.path.join(tmpdir, "board_servers.mpy")
    subprocess.run([mpy_cross_path(), "-o", dst, "-s", "bench/board_servers.py",
                    os.path.join(ROOT, "bench", "board_servers.py")], check=True, timeout=60)
    with open(dst, "rb") as f:
        data = f.read()
    b.exec("f=open('/hiltests/board_servers.mpy','wb')")
    for i in range(0, len(data), 2048):
        b.exec("f.write(%r)" % data[i:i + 2048])
    b.exec("f.close()")
    return b


def measure():
    with tempfile.TemporaryDirectory() as tmp:
        b = _board(tmp)
        try:
            b.soft_reset()
            out = b.exec("import sys\nsys.path.append('/hiltests')\nimport board_servers\nboard_servers.main()",
                         timeout=120)
        finally:
            b.close()
    return json.loads(out.strip().splitlines()[-1])


def run():
    m = measure()
    ratio = m["i2c_server_us"] / m["i2c_direct_us"] if m["i2c_direct_us"] else float("nan")
    return [
        ("gpio IRQ edge -> subscriber message", m["irq_us_median"], "us",
         "median of 200 edges; p95 %d us (virtual board)" % m["irq_us_p95"]),
        ("i2c register read: server vs direct machine.I2C", round(ratio, 1), "x",
         "%.0f us through the server, %.0f us direct (virtual board)" % (m["i2c_server_us"], m["i2c_direct_us"])),
        ("restart of a crashed server", round(m["restart_us_median"] / 1000, 2), "ms",
         "fault -> new incarnation registered, median of 30; p95 %.2f ms" % (m["restart_us_p95"] / 1000)),
    ]


if __name__ == "__main__":
    for name, value, unit, note in run():
        print("%-50s %10s %-3s %s" % (name, value, unit, note))
