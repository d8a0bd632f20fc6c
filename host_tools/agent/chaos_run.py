# Board side of mpk chaos (host_tools/commands/chaos.py): the fault-injection campaign of
# chaos/campaign.py, sent to the board beforehand, run there against the firmware image.
import sys


def run_campaign(seed, faults, seconds, root):
    if "/" not in sys.path:
        sys.path.append("/")
    from chaos import campaign

    campaign.main(["campaign", seed, faults, seconds, "-", root, "-", "board"])
