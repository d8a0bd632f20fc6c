"""The README's sessions, run as written: every block that starts with `$ mpk sim` is run
line by line in a fresh directory (with hello.py and the project's host_tools beside it),
and its output must be what the README shows, numbers, ports and ids aside.

    python tests/host/test_readme_examples.py     # print the transcripts, to paste
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = str(ROOT / ".venv" / "bin")
README_DIR = "/tmp/readme"          # where the README's sessions were run


def sessions():
    """[(first command, [lines of the block])] of the README's `$ mpk sim` blocks."""
    out, block = [], None
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("    $ mpk sim"):
            block = [line[4:]]
            out.append(block)
        elif block is not None and line.startswith("    ") and line.strip():
            block.append(line[4:])
        else:
            block = None
    return [(b[0], b) for b in out]


def run_session(block, workdir):
    """Run the block's commands; returns the transcript in the README's form."""
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], PYTHONPATH=str(ROOT))
    (Path(workdir) / "hello.py").write_text("print('hello')\n")
    os.symlink(ROOT / "host_tools", Path(workdir) / "host_tools")
    lines, background = [], []
    try:
        for line in block:
            if not line.startswith("$ "):
                continue
            cmd = line[2:]
            lines.append(line)
            if cmd.endswith("&"):
                p = subprocess.Popen(shlex.split(cmd[:-1]), cwd=workdir, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
                background.append(p)
                lines.append(p.stdout.readline().rstrip("\n"))
                lines.append(p.stderr.readline().rstrip("\n"))
                continue
            r = subprocess.run(cmd, shell=True, cwd=workdir, env=env, capture_output=True, text=True,
                               timeout=300)
            lines += [l for l in (r.stdout + r.stderr).splitlines()]
            time.sleep(0.2)
    finally:
        for p in background:
            p.terminate()
            p.wait(20)
    return [l.replace(str(workdir), README_DIR) for l in lines]


def normal(lines):
    out = []
    for l in lines:
        l = re.sub(r"\b[0-9a-f]{16}\b", "H", l)
        l = re.sub(r"\d+", "N", l)
        out.append(re.sub(r" +", " ", l).rstrip())     # column padding follows path lengths
    return out


@pytest.mark.parametrize("first,block", sessions(), ids=lambda v: v if isinstance(v, str) and v.startswith("$") else "")
def test_readme_session_runs_as_written(first, block, tmp_path):
    if "--engine rp2040" in first:
        import emu_helpers

        emu_helpers.require()
    got = run_session(block, str(tmp_path))
    assert normal(got) == normal(block), "\n".join(got)


def test_the_readme_has_its_sessions():
    firsts = [f for f, _ in sessions()]
    assert any("--wiring host_tools/sim/wiring.example.toml" in f for f in firsts)
    assert any("--engine rp2040" in f for f in firsts)


def test_the_readme_shows_the_example_wiring_file_as_it_is():
    text = (ROOT / "README.md").read_text()
    body = (ROOT / "host_tools" / "sim" / "wiring.example.toml").read_text().splitlines()[1:]
    assert "\n".join(("    " + l) if l else "" for l in body) in text


if __name__ == "__main__":
    for first, block in sessions():
        with tempfile.TemporaryDirectory() as d:
            print("\n".join("    " + l for l in run_session(block, d)))
            print()
    sys.exit(0)


def python_blocks(section):
    """The ```python blocks of a README section (by its heading)."""
    text = (ROOT / "README.md").read_text()
    body = text.split("\n## " + section + "\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)


@pytest.mark.parametrize("runtime", ["micropython", "cpython"])
def test_the_kernel_example_runs_as_written(runtime, tmp_path):
    (code,) = python_blocks("The kernel")
    (tmp_path / "example.py").write_text(code)
    if runtime == "micropython":
        cmd = [BIN + "/micropython", "example.py"]
        env = dict(os.environ, MICROPYPATH=str(ROOT) + os.pathsep + ".frozen")
    else:
        cmd = [sys.executable, "example.py"]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "('echo', 'hi')", r.stdout
    assert "'name': 'echo'" in lines[1] and "'state': 'recv'" in lines[1], r.stdout
