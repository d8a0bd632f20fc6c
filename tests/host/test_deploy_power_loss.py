"""Power-loss sweep of `mpk deploy`: the virtual board's power is cut at each flash write of
a real deploy, and every flash it leaves must boot one whole build, old or new
(host_tools/sim/power_cut.py records the deploy, host_tools/sim/power_check.py mounts
and boots each cut flash with the real /boot.py on the MicroPython unix port).

By default: every write point of the small project's deploy, each write also torn at
1/4, 1/2 and 3/4; the broken deploy variants on a sample of points. With
MPK_POWER_CUT_FULL=1: 15 tears per write, every point of the variants too, and two more
deploys of this checkout's own firmware (a few modules changed; every file changed).
"""
import os

import pytest

from mpk_fixtures import sim_available

ok, why = sim_available()
pytestmark = pytest.mark.skipif(not ok, reason=why)

FULL = os.environ.get("MPK_POWER_CUT_FULL") == "1"
FINE_TEARS = tuple(i / 16 for i in range(1, 16))


@pytest.fixture(scope="module")
def pc():
    from host_tools.sim import power_cut

    return power_cut


@pytest.fixture(scope="module")
def prep(pc, tmp_path_factory):
    return pc.prepare(tmp_path_factory.mktemp("power-cut"))


@pytest.fixture(scope="module")
def rec(pc, prep):
    return pc.record(prep)


def _sweep(pc, rec, points=None):
    return pc.summarize(rec, pc.sweep(rec, points, tears=FINE_TEARS if FULL else pc.TEARS))


def test_every_write_point_boots_one_whole_build(pc, rec):
    s = _sweep(pc, rec)
    assert not s["failures"], pc.format_summary(s)
    assert s["points"] == rec["writes"] + 1 and rec["writes"] > 40
    # The old build up to the switch, the new one from the rename of active.new on.
    m = rec["marks"]
    assert s["counts"]["v2"] and s["counts"]["v3"] and set(s["counts"]) == {"v2", "v3"}
    assert m["planned"] < m["sent"] < m["switch"] < s["first_new"][0] < m["up"]


@pytest.mark.parametrize("variant, failure", [
    ("built_first", "a rollback would go to: tree a is no whole build"),
    ("switch_first", "tree a is no whole build"),
    ("remove_active_first", "boot picked no tree"),
])
def test_broken_deploys_are_caught(pc, prep, variant, failure):
    rec = pc.record(prep, name=variant, variant_name=variant)
    s = _sweep(pc, rec, None if FULL else pc.sample(rec, 4))
    assert any(failure in f[3] for f in s["failures"]), pc.format_summary(s)


def test_active_rewritten_in_place_is_still_atomic_on_littlefs(pc, prep):
    # littlefs commits a file's new content when it is closed: even without the rename,
    # a cut leaves the old /mpk/active or the new one (a FAT flash would not).
    rec = pc.record(prep, name="in_place", variant_name="active_in_place")
    s = _sweep(pc, rec, None if FULL else pc.sample(rec, 8))
    assert not s["failures"] and s["counts"]["v3"], pc.format_summary(s)


def test_cut_flash_boots_on_the_virtual_board_and_the_next_deploy_completes(pc, rec, prep, tmp_path):
    """The checker's verdict agrees with a virtual board booting the same cut flash, and a
    deploy run again on it finishes the job (resuming: what is there already is kept)."""
    from host_tools import deploy
    from host_tools.sim import VirtualBoard

    m = rec["marks"]
    tree_files = len(rec["builds"]["v3"]["tree"])
    states = pc.sweep(rec, [m["copied"] + 3, m["sent"] + 1, m["switch"] + 2])
    picks = [states[0], [r for r in states if r[0] == m["sent"] + 1][2],
             next(r for r in states if r[2] == "v3")]
    for n, kind, verdict, _ in picks:
        assert verdict in ("v2", "v3")
        img = tmp_path / ("cut%d%s.img" % (n, kind))
        img.write_bytes(pc.image_at(rec, n, None if kind == "cut" else int(kind[4:])))
        with VirtualBoard(flash=str(img), board=pc.BOARD) as b:
            b.wait_output(b"FIRMWARE " + verdict.encode(), timeout=20)
            b.clear_output()
            s = deploy.deploy(port=b.port, root=prep["roots"]["v3"], log=None, progress=False)
            if verdict == "v3":
                assert s["up_to_date"] or s["tree"] == "a"
            else:
                assert s["tree"] == "a" and s["switched"]
                b.wait_output(b"FIRMWARE v3", timeout=20)
            if n == m["sent"] + 1:  # cut while .built was written: every file is kept
                assert s["skipped"] == tree_files and s["copied"] == 0, s


@pytest.mark.skipif(not FULL, reason="MPK_POWER_CUT_FULL=1 sweeps this checkout's firmware too")
@pytest.mark.parametrize("scenario", ["firmware", "firmware_all"])
def test_firmware_deploy_every_write_point(pc, tmp_path, scenario):
    from host_tools.errors import MpkError

    try:
        rec = pc.record(pc.prepare(tmp_path / "1", scenario))
    except MpkError:
        # Once in a few dozen deploys the real firmware's board stops answering the deploy's
        # read (before anything is written): record the whole deploy again, once.
        rec = pc.record(pc.prepare(tmp_path / "2", scenario))
    s = _sweep(pc, rec)
    assert not s["failures"], pc.format_summary(s)
    assert set(s["counts"]) == {"v2", "v3"}
