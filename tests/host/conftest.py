"""Fixtures for tests that need the virtual board (host_tools.sim)."""
import pytest

from host_tools.sim import VirtualBoard
from sim_helpers import MPREMOTE, run_tool


@pytest.fixture
def sim_board(tmp_path):
    """A fresh virtual Pico with its flash in tmp_path/flash.img."""
    with VirtualBoard(flash=str(tmp_path / "flash.img")) as board:
        yield board


@pytest.fixture
def mpremote(sim_board):
    """mpremote("exec", "...") against the board; asserts success, returns stdout text."""
    def call(*args, check=True, timeout=30):
        r = run_tool(MPREMOTE, "connect", sim_board.port, *args, timeout=timeout)
        if check:
            assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r.stdout.decode(errors="replace")
    return call


@pytest.fixture
def board_exec(sim_board):
    """board_exec(code) -> what the board printed (str), via mpremote's own transport."""
    from mpremote.transport_serial import SerialTransport
    t = SerialTransport(sim_board.port, baudrate=115200)
    t.enter_raw_repl(soft_reset=False)

    def call(code, timeout=10):
        out, err = t.exec_raw(code, timeout=timeout)
        if err:
            raise AssertionError("board raised: " + err.decode(errors="replace"))
        return out.decode(errors="replace")
    call.transport = t
    yield call
    try:
        t.exit_raw_repl()
        t.close()
    except Exception:
        pass


@pytest.fixture(autouse=True, scope="session")
def _own_board_registry(tmp_path_factory):
    """The host tests see only the virtual boards they start: a developer's running
    `mpk sim` (registered for `mpk devices`) must not be found by a test that expects no
    board. A test that wants a registry of its own sets MPK_SIM_DIR itself."""
    import os

    old = os.environ.get("MPK_SIM_DIR")
    os.environ["MPK_SIM_DIR"] = str(tmp_path_factory.mktemp("board-registry"))
    yield
    if old is None:
        os.environ.pop("MPK_SIM_DIR", None)
    else:
        os.environ["MPK_SIM_DIR"] = old


def pytest_collection_modifyitems(session, config, items):
    """The labgrid rack's test first (test_labgrid_rack.py: minutes, the emulated Pico's whole
    HIL suite): under `make test`'s `-n 2 --dist loadfile` the other files then run beside
    it on the other worker, instead of it starting last and running alone."""
    items.sort(key=lambda item: "test_labgrid_rack" not in item.nodeid)
