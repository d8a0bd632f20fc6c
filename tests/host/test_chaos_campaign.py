"""The short fault-injection campaign `make test` runs (make chaos runs the long one): the
firmware image on the MicroPython unix port under a verified client load, every fault
class injected, and nothing but the firmware's own supervision to recover. It must end
with no kernel death, hang, lost call, wrong reply or server crash caused by input."""
import pytest

from chaos import inject, run

SECONDS = 40


pytestmark = pytest.mark.chaos


@pytest.mark.skipif(run.micropython() is None, reason="no MicroPython unix port installed")
def test_a_short_campaign_of_every_fault_class_breaks_nothing():
    total = run.campaign(None, 1, None, seed=7, seconds=SECONDS, quiet=True)
    bad = {k: total.get(k, 0) for k in run.BAD}
    assert not any(bad.values()), (bad, total["examples"])
    missing = [c for c in inject.CLASSES if not total["faults"].get(c)]
    assert not missing, ("fault classes never injected", missing, total["faults"])
    # enough faults to mean something (the rate itself is make chaos's business: a timed
    # bound here fails on a loaded host)
    assert total["total"] > 10000, total["total"]
    assert total["restarts"] >= 10 and total["verified"] > 10000, total
