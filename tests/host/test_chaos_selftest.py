"""The campaign's harness finds each kind of failure it counts: run beside a deliberately
broken server of each kind (chaos/campaign.py broken_server), the matching count is not
zero. Without this, a campaign that reports zeros would prove nothing."""
import pytest

from chaos import run

EXPECT = {"crash": "input_crashes", "hang": "hangs", "lost": "lost_calls",
          "wrong": "wrong_replies", "kernel": "kernel_deaths"}


pytestmark = pytest.mark.chaos


@pytest.mark.skipif(run.micropython() is None, reason="no MicroPython unix port installed")
@pytest.mark.parametrize("kind", sorted(EXPECT))
def test_the_harness_detects_a_broken_server(kind):
    total = run.campaign(None, 1, None, seed=11, seconds=6, selftest=kind, quiet=True)
    assert total.get(EXPECT[kind], 0) > 0, (kind, {k: total.get(k) for k in run.BAD}, total["examples"])
    others = [k for k in ("kernel_deaths", "wrong_replies") if k != EXPECT[kind] and total.get(k)]
    assert not others, (kind, others, total["examples"])
