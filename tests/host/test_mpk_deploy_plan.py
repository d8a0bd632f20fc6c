"""The deploy plan (what to send, copy, skip, remove; does it fit) without a board."""
from host_tools.deploy import HASH_LEN, board_name_from_info, plan


def H(c):
    return (c * 64)[:64]


def manifest(files, root=None):
    return {
        "tree": {p: {"sha256": H(h), "size": s} for p, (h, s) in files.items()},
        "root": {p: {"sha256": H(h), "size": s} for p, (h, s) in (root or {"boot.py": ("r", 900), "main.py": ("m", 100)}).items()},
        "build_id": "x",
    }


def tree(files, built=True):
    t = {}
    for p, (h, s) in files.items():
        parts = p.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            t["/".join(parts[:i]) + "/"] = None
        t[p] = (H(h)[:HASH_LEN], s)
    if built:
        t[".built"] = ("z", 1)
    return t


ROOT_OK = {"boot.py": (H("r")[:HASH_LEN], 900), "main.py": (H("m")[:HASH_LEN], 100)}
FILES = {"kernel/a.mpy": ("1", 5000), "kernel/b.mpy": ("2", 300), "firmware/main.mpy": ("3", 200)}


def scan(active=None, a=None, b=None, root=None, fs=(4096, 100, 200)):
    return {"active": active, "a": a, "b": b, "root": root if root is not None else {}, "fs": fs}


def test_fresh_board_sends_everything_into_a():
    p = plan(manifest(FILES), scan())
    assert p["target"] == "a" and p["switch"] and not p["up_to_date"]
    assert p["send"] == sorted(FILES) and p["copy"] == [] and p["skip"] == []
    assert p["mkdirs"] == ["firmware/", "kernel/"]
    assert p["root_send"] == ["boot.py", "main.py"]
    assert p["send_bytes"] == 5500 + 1000


def test_nothing_changed_is_up_to_date():
    p = plan(manifest(FILES), scan("a", a=tree(FILES), root=ROOT_OK))
    assert p["up_to_date"] and p["send"] == [] and not p["switch"]


def test_trial_tree_matching_is_up_to_date_too():
    p = plan(manifest(FILES), scan("b 1", b=tree(FILES), root=ROOT_OK))
    assert p["up_to_date"] and p["trial"]


def test_one_changed_file_goes_to_the_idle_tree_rest_copied_on_board():
    new = dict(FILES, **{"kernel/b.mpy": ("9", 310)})
    p = plan(manifest(new), scan("a", a=tree(FILES), root=ROOT_OK))
    assert p["target"] == "b"
    assert p["send"] == ["kernel/b.mpy"]
    assert p["copy"] == ["firmware/main.mpy", "kernel/a.mpy"]
    assert p["send_bytes"] == 310


def test_idle_tree_reused_and_stale_removed():
    old = dict(FILES, **{"servers/old.mpy": ("7", 100)})
    new = dict(FILES, **{"kernel/b.mpy": ("9", 310)})
    p = plan(manifest(new), scan("a", a=tree(FILES), b=tree(old), root=ROOT_OK))
    assert p["skip"] == ["firmware/main.mpy", "kernel/a.mpy"] and p["send"] == ["kernel/b.mpy"]
    assert p["remove"] == [".built", "servers/old.mpy"]
    assert p["rmdirs"] == ["servers/"]


def test_switch_back_to_an_identical_idle_tree_sends_nothing():
    p = plan(manifest(FILES), scan("b", a=tree(FILES), b=tree({"x.mpy": ("5", 1)}), root=ROOT_OK))
    assert p["target"] == "a" and p["send"] == [] and p["copy"] == [] and p["switch"]


def test_incomplete_active_tree_is_not_up_to_date():
    p = plan(manifest(FILES), scan("a", a=tree(FILES, built=False), root=ROOT_OK))
    assert not p["up_to_date"] and p["target"] == "b" and p["copy"] == sorted(FILES)


def test_space_check_counts_blocks():
    big = {"kernel/big.mpy": ("b", 4096 * 50)}
    p = plan(manifest(big), scan(fs=(4096, 20, 200)))
    assert p["need_bytes"] > p["free_bytes"]
    p = plan(manifest(FILES), scan(fs=(4096, 100, 200)))
    assert p["need_bytes"] <= p["free_bytes"]
    # What is removed from the idle tree first counts as free.
    p = plan(manifest(big), scan("a", a=tree(FILES), b=tree({"kernel/old.mpy": ("o", 4096 * 45)}),
                                 root=ROOT_OK, fs=(4096, 20, 200)))
    assert p["need_bytes"] <= p["free_bytes"]


def test_board_names():
    assert board_name_from_info("rp2", "Raspberry Pi Pico with RP2040") == "pico"
    assert board_name_from_info("rp2", "Raspberry Pi Pico W with RP2040") == "pico_w"
    assert board_name_from_info("esp32", "Generic ESP32S3 module with ESP32S3") == "esp32s3"
    assert board_name_from_info("rp2", "Raspberry Pi Pico2 with RP2350-RISCV") == "pico2"
    # A board of a known chip that mpk has no module of is the plainest board of that chip.
    assert board_name_from_info("rp2", "Pimoroni Tiny 2040 with RP2040") == "pico"
    assert board_name_from_info("esp32", "LOLIN S2 mini with ESP32-S2") == "esp32s2"
    assert board_name_from_info("samd", "Seeed Wio Terminal with SAMD51P19A") == "samd"
    # The virtual board is "sim", its module's name, whichever engine or board it is like.
    assert board_name_from_info("rp2", "Raspberry Pi Pico (virtual) with RP2040") == "sim"
    assert board_name_from_info("linux", "linux [GCC 14]") == "sim"
