# The REPL of the virtual board: MicroPython's shared/runtime/pyexec.c and
# shared/readline/readline.c redone in Python, so that clients (mpremote, ampy,
# a human) see the same bytes a Pico sends over USB.
import sys
import io
import builtins
import select
import simcore

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E = 1, 2, 3, 4, 5

NORMAL_EXIT = 0
FORCED_EXIT = 0x100   # as PYEXEC_FORCED_EXIT: leave the REPL, soft reset

FRIENDLY, RAW = "friendly", "raw"

_read = sys.stdin.buffer.read
_write = sys.stdout.buffer.write
_poller = select.poll()
_poller.register(sys.stdin, select.POLLIN)

# Namespace shared by boot.py, main.py and the REPL, like mp_globals on a board.
G = {"__name__": "__main__"}


def getc():
    # One byte per read: a board's REPL never takes more than it needs, so code
    # that reads sys.stdin itself (mpremote mount, input()) gets the rest.
    while simcore.armed() and not _poller.poll(5):
        pass  # lets due soft IRQs run while the REPL waits
    c = _read(1)
    if not c:
        simcore.exit(simcore.EXIT_HARD)  # host went away
    return c[0]


def out(b):
    _write(b)


def cout(s):
    # Text output is "cooked" on a board: \n goes out as \r\n.
    _write(s.replace("\n", "\r\n"))


_OWN = '  File "' + simcore.cfg["board_dir"]


def print_exc(e):
    # As a board shows it: without the frames of this REPL (which a real
    # board's C code does not have).
    s = io.StringIO()
    sys.print_exception(e, s)
    lines = s.getvalue().split("\n")
    cout("\n".join(ln for ln in lines if not ln.startswith(_OWN)))


def _repl_print(obj):
    # Called by code compiled in "single" mode to show an expression's value;
    # the built-in one would send a bare \n.
    if obj is not None:
        cout(repr(obj) + "\n")


builtins.__repl_print__ = _repl_print


# --- execution (parse_compile_execute) ----------------------------------------

def execute(src, name, mode, print_eof=False):
    ret = NORMAL_EXIT
    G["__file__"] = name
    try:
        code = compile(src, name, mode)
        simcore.set_intr(CTRL_C)
        exec(code, G)
        simcore.intr_off()
        if print_eof:
            out(b"\x04")
    except BaseException as e:  # noqa: the REPL must survive anything user code raises
        simcore.intr_off()
        if print_eof:
            out(b"\x04")
        if isinstance(e, SystemExit):
            ret = FORCED_EXIT
        else:
            print_exc(e)
    if print_eof:
        out(b"\x04")
    return ret


def run_file(name):
    try:
        with open(name) as f:
            src = f.read()
    except OSError:
        return NORMAL_EXIT  # no file is the same as an empty one
    return execute(src, name, "exec")


# --- raw REPL ----------------------------------------------------------------

def _raw_paste(cmd):
    if cmd != ord("A"):
        out(b"R\x00")
        return NORMAL_EXIT
    out(b"R\x01")
    # Window is half of MICROPY_REPL_STDIN_BUFFER_MAX (256); telling it counts
    # as one free window and the trailing 0x01 as a second.
    window = 128
    out(bytes((window & 0xFF, window >> 8, 1)))
    remain = window
    buf = bytearray()
    while True:
        c = getc()
        if c == CTRL_C or c == CTRL_D:
            out(b"\x04")  # end acknowledged
            if c == CTRL_C:
                out(b"\x04")
                print_exc(KeyboardInterrupt())
                out(b"\x04")
                return NORMAL_EXIT
            break
        buf.append(c)
        remain -= 1
        if remain == 0:
            out(b"\x01")
            remain = window
    return execute(bytes(buf), "<stdin>", "exec", True)


def raw_repl(state):
    out(b"raw REPL; CTRL-B to exit\r\n")
    line = bytearray()
    while True:
        line = bytearray()
        out(b">")
        while True:
            c = getc()
            if c == CTRL_A:
                if len(line) == 2 and line[0] == CTRL_E:
                    ret = _raw_paste(line[1])
                    if ret & FORCED_EXIT:
                        return ret
                    line = bytearray()
                    out(b">")
                    continue
                out(b"raw REPL; CTRL-B to exit\r\n")
                line = bytearray()
                out(b">")
                continue
            elif c == CTRL_B:
                out(b"\r\n")
                state.mode = FRIENDLY
                return NORMAL_EXIT
            elif c == CTRL_C:
                line = bytearray()
            elif c == CTRL_D:
                break
            else:
                line.append(c)
        out(b"OK")
        if not line:
            out(b"\r\n")
            return FORCED_EXIT
        ret = execute(bytes(line), "<stdin>", "exec", True)
        if ret & FORCED_EXIT:
            return ret


# --- friendly REPL -----------------------------------------------------------

_history = []
HISTORY_MAX = 8


def readline(line, prompt):
    """Read one line into `line` (a list holding the text so far, for
    continuation lines); return 0 on Enter or a control char, as readline.c does."""
    cout(prompt)
    orig = len(line[0])
    hist = -1
    esc = 0
    just_indented = _auto_indent(line)
    buf = line[0]
    cur = len(buf)
    while True:
        c = getc()
        if esc == 1:
            esc = 2 if c in (0x5B, 0x4F) else 0
            continue
        if esc == 2:
            esc = 0
            if c in (0x41, 0x42):  # up / down: history
                if c == 0x41 and hist + 1 < len(_history):
                    hist += 1
                elif c == 0x42 and hist >= 0:
                    hist -= 1
                else:
                    continue
                new = _history[hist] if hist >= 0 else ""
                # erase the shown line, show the new one
                out(b"\b" * (cur - orig) + b"\x1b[K")
                buf = buf[:orig] + new
                cur = len(buf)
                cout(new)
            elif c == 0x44 and cur > orig:  # left
                cur -= 1
                out(b"\b")
            elif c == 0x43 and cur < len(buf):  # right
                out(buf[cur].encode())
                cur += 1
            continue
        if c == 0x1B:
            esc = 1
            continue
        if c == CTRL_C:
            line[0] = buf
            return CTRL_C
        if len(buf) == orig and c in (CTRL_A, CTRL_B, CTRL_D, CTRL_E):
            line[0] = buf
            return c
        if c == 13:
            out(b"\r\n")
            text = buf[orig:]
            if text.strip() and (not _history or _history[0] != text):
                _history.insert(0, text)
                del _history[HISTORY_MAX:]
            line[0] = buf
            return 0
        if c in (8, 127):
            if cur > orig:
                # after an auto-indent, backspace removes a whole level
                n = 1
                seg = buf[orig:cur]
                if len(seg) >= 4 and seg.strip(" ") == "" and just_indented:
                    n = 4
                buf = buf[:cur - n] + buf[cur:]
                cur -= n
                tail = buf[cur:]
                out(b"\b" * n + tail.encode() + b" " * n + b"\b" * (len(tail) + n))
            continue
        if 32 <= c <= 126:
            ch = chr(c)
            tail = buf[cur:]
            buf = buf[:cur] + ch + tail
            cur += 1
            out(bytes((c,)) + tail.encode() + b"\b" * len(tail))
            just_indented = False


def _auto_indent(line):
    # readline_auto_indent(): keep the indentation of the previous line, one
    # more level after a ':'; nothing after two blank lines.
    buf = line[0]
    if len(buf) < 2 or buf[-1] != "\n":
        return False
    i = buf.rfind("\n", 0, len(buf) - 1) + 1
    j = i
    while j < len(buf) and buf[j] == " ":
        j += 1
    if i > 0 and j + 1 == len(buf):
        k = buf.rfind("\n", 0, i - 1) + 1
        if buf[k:i - 1].strip(" ") == "":
            return False
    n = (j - i) // 4
    if buf[-2] == ":":
        n += 1
    if n:
        line[0] = buf + "    " * n
        out(b"    " * n)
        return True
    return False


_KEYWORDS = ("if", "while", "for", "try", "with", "def", "class", "async")


def continue_with_input(s):
    # mp_repl_continue_with_input() from py/repl.c
    if not s:
        return False
    compound = s[0] == "@"
    if not compound:
        for k in _KEYWORDS:
            if s.startswith(k) and (len(s) == len(k) or not (s[len(k)].isalpha() or s[len(k)].isdigit() or s[len(k)] == "_")):
                compound = True
                break
    q = None  # current quote: ' " ''' """
    n = 0     # open brackets
    i = 0
    L = len(s)
    while i < L:
        c = s[i]
        if q is None:
            if c in "'\"":
                if s[i:i + 3] == c * 3:
                    q = c * 3
                    i += 3
                    continue
                q = c
            elif c == "#":
                while i < L and s[i] != "\n":
                    i += 1
                continue
            elif c in "([{":
                n += 1
            elif c in ")]}":
                n -= 1
        else:
            if c == "\\":
                i += 2
                continue
            if len(q) == 3:
                if s[i:i + 3] == q:
                    q = None
                    i += 3
                    continue
            elif c == q:
                q = None
            elif c == "\n":
                q = None
        i += 1
    if q is not None and len(q) == 3:
        return True
    if n > 0 or q is not None:
        return True
    if s[-1] == "\\":
        return True
    if compound and s[-1] != "\n":
        return True
    return False


def banner(state):
    cout(state.banner + "\n" + 'Type "help()" for more information.\n')


def friendly_repl(state):
    banner(state)
    while True:
        line = [""]
        ret = readline(line, ">>> ")
        kind = "single"
        if ret == CTRL_A:
            out(b"\r\n")
            state.mode = RAW
            return NORMAL_EXIT
        elif ret == CTRL_B:
            out(b"\r\n")
            banner(state)
            continue
        elif ret == CTRL_C:
            out(b"\r\n")
            continue
        elif ret == CTRL_D:
            out(b"\r\n")
            return FORCED_EXIT
        elif ret == CTRL_E:
            out(b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
            buf = bytearray()
            cancelled = False
            while True:
                c = getc()
                if c == CTRL_C:
                    out(b"\r\n")
                    cancelled = True
                    break
                if c == CTRL_D:
                    out(b"\r\n")
                    break
                buf.append(c)
                out(b"\r\n=== " if c == 13 else bytes((c,)))
            if cancelled:
                continue
            src = bytes(buf).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            kind = "exec"
        elif not line[0]:
            continue
        else:
            cancelled = False
            while continue_with_input(line[0]):
                line[0] += "\n"
                ret = readline(line, "... ")
                if ret == CTRL_C:
                    out(b"\r\n")
                    cancelled = True
                    break
                if ret == CTRL_D:
                    break
            if cancelled:
                continue
            src = line[0]
        ret = execute(src, "<stdin>", kind)
        if ret & FORCED_EXIT:
            return ret
