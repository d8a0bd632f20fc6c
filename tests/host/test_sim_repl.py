"""The virtual board's console speaks MicroPython's REPL protocols byte for byte."""
import time

import serial

BANNER_END = b'Type "help()" for more information.\r\n>>> '


class Console:
    """A pyserial client, as a terminal program would be."""

    def __init__(self, port):
        self.s = serial.Serial(port, 115200, timeout=0.05)
        self.buf = b""

    def send(self, data):
        self.s.write(data)

    def expect(self, pattern, timeout=5):
        deadline = time.monotonic() + timeout
        while pattern not in self.buf:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {pattern!r}, got {self.buf[-400:]!r}")
            self.buf += self.s.read(4096)
        i = self.buf.index(pattern) + len(pattern)
        got, self.buf = self.buf[:i], self.buf[i:]
        return got

    def close(self):
        self.s.close()


def console(board):
    board.wait_output(BANNER_END)  # booted; what it printed so far is not ours
    c = Console(board.port)
    time.sleep(0.02)
    c.s.reset_input_buffer()
    c.send(b"\x02")  # Ctrl-B: banner and a fresh prompt, whatever came before
    c.expect(BANNER_END)
    return c


def test_banner_identifies_virtual_pico(sim_board):
    c = console(sim_board)
    c.send(b"\x02")
    text = c.expect(BANNER_END)
    assert b"MicroPython v" in text
    assert b"; Raspberry Pi Pico (virtual) with RP2040\r\n" in text


def test_friendly_repl_evaluates_with_crlf(sim_board):
    c = console(sim_board)
    c.send(b"6*7\r")
    assert c.expect(b">>> ") == b"6*7\r\n42\r\n>>> "
    c.send(b"print('a\\nb')\r")
    assert c.expect(b">>> ").endswith(b"a\r\nb\r\n>>> ")
    c.send(b"import os; os.uname().machine\r")
    assert b"'Raspberry Pi Pico (virtual) with RP2040'\r\n" in c.expect(b">>> ")
    c.send(b"1/0\r")
    out = c.expect(b">>> ")
    assert b'File "<stdin>", line 1' in out and b"ZeroDivisionError" in out
    assert b"repl.py" not in out  # no frames of the simulation itself


def test_compound_statement_and_paste_mode(sim_board):
    c = console(sim_board)
    # auto-indent as on a board: two blank lines then an empty one end the block
    c.send(b"for i in range(2):\rprint(i*3)\r\r\r\r")
    assert b"0\r\n3\r\n>>> " in c.expect(b"3\r\n>>> ")
    c.send(b"\x05")
    c.expect(b"paste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
    c.send(b"def f():\r    return 5\r\x04")
    c.expect(b">>> ")
    c.send(b"f()\r")
    assert c.expect(b">>> ").endswith(b"5\r\n>>> ")


def test_ctrl_c_interrupts_running_code(sim_board):
    c = console(sim_board)
    c.send(b"while True:\rpass\r\r\r\r")
    time.sleep(0.3)
    c.send(b"\x03")
    out = c.expect(b">>> ")
    assert b"KeyboardInterrupt" in out
    c.send(b"import time\r")
    c.expect(b">>> ")
    c.send(b"time.sleep(30)\r")
    time.sleep(0.2)
    t0 = time.monotonic()
    c.send(b"\x03")
    assert b"KeyboardInterrupt" in c.expect(b">>> ")
    assert time.monotonic() - t0 < 2
    # Ctrl-C at the prompt is not an error
    c.send(b"\x03")
    assert c.expect(b">>> ") == b"\r\n>>> "


def test_raw_repl_and_soft_reset_keep_mode(sim_board):
    c = console(sim_board)
    c.send(b"\x01")
    c.expect(b"raw REPL; CTRL-B to exit\r\n>")
    c.send(b"print(1+1)\x04")
    assert c.expect(b"\x04>") == b"OK2\r\n\x04\x04>"
    c.send(b"1/0\x04")
    out = c.expect(b"\x04>")
    assert out.startswith(b"OK\x04Traceback") and b"ZeroDivisionError" in out
    c.send(b"x = 5\x04")
    c.expect(b"\x04>")
    c.send(b"\x04")  # soft reset in raw mode comes back in raw mode
    assert c.expect(b"raw REPL; CTRL-B to exit\r\n>") == b"OK\r\nMPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>"
    c.send(b"print('x' in globals())\x04")
    assert c.expect(b"\x04>") == b"OKFalse\r\n\x04\x04>"  # the heap was reset
    c.send(b"\x02")
    c.expect(BANNER_END)
    c.send(b"\x04")  # and in friendly mode, friendly again
    assert c.expect(BANNER_END).startswith(b"\r\nMPY: soft reboot\r\nMicroPython v")


def test_raw_paste_flow_control(sim_board):
    c = console(sim_board)
    c.send(b"\x01")
    c.expect(b">")
    c.send(b"\x05A\x01")
    c.expect(b"R\x01")
    hdr = c.expect(b"\x01")
    window = hdr[0] | hdr[1] << 8
    assert window == 128 and hdr == b"\x80\x00\x01"
    code = b"s = 0\n" + b"".join(b"s += %d\n" % i for i in range(200)) + b"print(s)\n"
    remain = 2 * window  # the size tells one free window, the 0x01 a second
    i = 0
    while i < len(code):
        if remain == 0:
            assert c.expect(b"\x01") == b"\x01"
            remain += window
            continue
        n = min(remain, len(code) - i)
        c.send(code[i:i + n])
        i += n
        remain -= n
    c.send(b"\x04")
    out = c.expect(b"\x04>")
    assert out.replace(b"\x01", b"").endswith(b"\x04%d\r\n\x04\x04>" % sum(range(200)))


def test_main_py_runs_after_soft_reset_only_in_friendly_mode(sim_board, board_exec):
    board_exec("f = open('main.py', 'w'); f.write('print(\"main ran\")\\n'); f.close()\n"
               "f = open('boot.py', 'w'); f.write('print(\"boot ran\")\\n'); f.close()")
    t = board_exec.transport
    sim_board.clear_output()
    t.serial.write(b"\x04")  # soft reset from raw REPL: boot.py only (as rp2's main.c)
    out = t.read_until(1, b"raw REPL; CTRL-B to exit\r\n>")
    assert b"boot ran" in out and b"main ran" not in out
    t.exit_raw_repl()
    t.read_until(1, BANNER_END)
    t.serial.write(b"\x04")
    out = t.read_until(1, BANNER_END)
    assert out.index(b"MPY: soft reboot") < out.index(b"boot ran") < out.index(b"main ran") < out.index(b"MicroPython v")


def test_ctrl_c_is_data_when_kbd_intr_disabled(sim_board, board_exec):
    t = board_exec.transport
    t.serial.write(b"import micropython, sys\nmicropython.kbd_intr(-1)\n"
                   b"d = sys.stdin.buffer.read(3)\nmicropython.kbd_intr(3)\nprint(d)\x04")
    t.read_until(1, b"OK")
    time.sleep(0.1)
    t.serial.write(b"\x03a\x03")
    out = t.read_until(1, b"\x04>")
    assert out.startswith(b"b'\\x03a\\x03'\r\n")
