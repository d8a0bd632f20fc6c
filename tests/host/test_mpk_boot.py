"""firmware/boot.py under the real MicroPython (unix port), on a littlefs in RAM mounted at /."""
import subprocess

import pytest

from mpk_fixtures import MICROPYTHON, ROOT

BOOT = (ROOT / "firmware" / "boot.py").read_text()

HARNESS = '''
import os, sys
class RAM:
    def __init__(self, n, bs=512):
        self.bs = bs; self.data = bytearray(n * bs)
    def readblocks(self, b, buf, off=0):
        a = b * self.bs + off
        buf[:] = self.data[a:a + len(buf)]
    def writeblocks(self, b, buf, off=None):
        a = b * self.bs + (off or 0)
        self.data[a:a + len(buf)] = buf
    def ioctl(self, op, arg):
        if op == 4: return len(self.data) // self.bs
        if op == 5: return self.bs
        if op == 6: return 0
_dev = RAM(512)
os.VfsLfs2.mkfs(_dev)
os.umount('/')
os.mount(os.VfsLfs2(_dev), '/')
os.chdir('/')
sys.path[:] = ['']
def put(p, text):
    d = ''
    for part in p.split('/')[1:-1]:
        d += '/' + part
        try: os.mkdir(d)
        except OSError: pass
    with open(p, 'w') as f: f.write(text)
def get(p):
    try:
        with open(p) as f: return f.read()
    except OSError: return None
def tree(slot, main_src, built=True):
    put('/mpk/%s/firmware/main.py' % slot, main_src)
    put('/mpk/%s/kernel/__init__.py' % slot, 'NAME = %r\\n' % slot)
    if built: put('/mpk/%s/.built' % slot, 'id')
GOOD = "import kernel\\nprint('START', kernel.NAME)\\ndef main():\\n    print('MAIN', kernel.NAME)\\n"
BAD = "import kernel\\nraise ImportError('broken firmware')\\n"
put('/boot.py', BOOT_SRC)
'''


def mp(scenario):
    code = "BOOT_SRC = %r\n" % BOOT + HARNESS + scenario
    p = subprocess.run([MICROPYTHON, "-c", code], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def boot_and_start():
    # What a board does: run boot.py, then /main.py (the stub: import boot; boot.start());
    # machine.soft_reset() raises SystemExit, upon which the board boots again.
    return (
        "for _i in range(3):\n"
        "    try:\n"
        "        exec(open('/boot.py').read(), {'__name__': '__main__'})\n"
        "        import boot\n"
        "        boot.start()\n"
        "        break\n"
        "    except SystemExit:\n"
        "        print('SOFT RESET')\n"
        "        for k in list(sys.modules):\n"
        "            if k.split('.')[0] in ('boot', 'kernel', 'firmware'):\n"
        "                del sys.modules[k]\n"
    )


def test_no_tree_deployed_does_nothing():
    out = mp("exec(open('/boot.py').read(), {'__name__': '__main__'})\nprint('PATH', sys.path[0])\n")
    assert "PATH \n" in out or out.strip().endswith("PATH")


def test_confirmed_tree_on_path_and_started():
    out = mp("tree('a', GOOD)\nput('/mpk/active', 'a')\n" + boot_and_start() +
             "print('PATH', sys.path[0], 'ACTIVE', get('/mpk/active'))\n")
    assert "START a" in out and "MAIN a" in out
    assert "PATH /mpk/a ACTIVE a" in out



def test_ctrl_c_while_boot_py_runs_leaves_the_firmware_unstarted():
    # The port runs /main.py after an interrupted boot.py; a Ctrl-C while booting means
    # the REPL, so main.py's boot.start() starts nothing. (The Ctrl-C here comes in the
    # import of the tree's boards package, which boot.py does to keep a watchdog fed.)
    out = mp("tree('a', GOOD)\nput('/mpk/active', 'a')\n"
             "put('/mpk/a/boards/__init__.py', 'raise KeyboardInterrupt')\n"
             "try:\n"
             "    exec(open('/boot.py').read(), {'__name__': '__main__'})\n"
             "except KeyboardInterrupt:\n"
             "    print('INTERRUPTED')\n"
             "import boot\nboot.start()\n")
    assert "INTERRUPTED" in out and "stopped by Ctrl-C, the firmware was not started" in out, out
    assert "START a" not in out and "MAIN a" not in out, out

def test_trial_tree_that_starts_is_confirmed():
    out = mp("tree('a', GOOD)\ntree('b', GOOD)\nput('/mpk/active', 'b 0')\n" + boot_and_start() +
             "print('ACTIVE', get('/mpk/active'))\n")
    assert "START b" in out and "ACTIVE b\n" in out


def test_trial_tree_that_fails_rolls_back_at_once():
    out = mp("tree('a', GOOD)\ntree('b', BAD)\nput('/mpk/active', 'b 0')\n" + boot_and_start() +
             "print('ACTIVE', get('/mpk/active'), 'LAST', get('/mpk/last'))\n")
    assert "broken firmware" in out
    assert "SOFT RESET" in out
    assert "START a" in out and "MAIN a" in out  # the previous tree runs
    assert "ACTIVE a LAST rolled back from tree b to a" in out


def test_boots_without_confirm_are_counted_then_rolled_back():
    # The stub counts each start; a board that hangs/resets before confirming comes back here.
    out = mp("tree('a', GOOD)\ntree('b', GOOD)\nput('/mpk/active', 'b 2')\n"
             "exec(open('/boot.py').read(), {'__name__': '__main__'})\n"
             "print('ACTIVE1', get('/mpk/active'), sys.path[0])\n"
             "put('/mpk/active', 'b 3')\n"
             "exec(open('/boot.py').read(), {'__name__': '__main__'})\n"
             "print('ACTIVE2', get('/mpk/active'), sys.path[0])\n")
    assert "ACTIVE1 b 2 /mpk/b" in out
    assert "ACTIVE2 a /mpk/a" in out and "without success" in out


def test_no_previous_tree_keeps_the_new_one():
    out = mp("tree('b', BAD)\nput('/mpk/active', 'b 0')\n" + boot_and_start() +
             "print('ACTIVE', get('/mpk/active'))\n")
    assert "no previous tree" in out and "ACTIVE b\n" in out


def test_incomplete_previous_tree_is_not_a_rollback_target():
    out = mp("tree('a', GOOD, built=False)\ntree('b', GOOD)\nput('/mpk/active', 'b 5')\n"
             "exec(open('/boot.py').read(), {'__name__': '__main__'})\nprint('ACTIVE', get('/mpk/active'))\n")
    assert "ACTIVE b\n" in out


def test_garbage_state_file_still_boots():
    out = mp("put('/mpk/active', '')\nexec(open('/boot.py').read(), {'__name__': '__main__'})\nprint('OK')\n")
    assert "OK" in out


def test_rollback_without_soft_reset_starts_previous_tree_in_place():
    out = mp("class _NoReset:\n    pass\nsys.modules['machine'] = _NoReset()\n"
             "tree('a', GOOD)\ntree('b', BAD)\nput('/mpk/active', 'b 0')\n" + boot_and_start() +
             "print('ACTIVE', get('/mpk/active'))\n")
    assert "SOFT RESET" not in out
    assert "START a" in out and "MAIN a" in out and "ACTIVE a\n" in out
