# What the board and the host must agree on, defined once. On-device code imports it
# (servers/console.py); the host tools import the same file (host_tools/device_code.py).
# Plain constants: nothing here runs, nothing costs RAM beyond the names.
#
# The console's JSON mode (servers/console.py answers, host_tools/console_protocol.py
# encodes): a line holding CONSOLE_PREFIX (ASCII RS, then "mpk:") and one JSON object.
CONSOLE_PREFIX = "\x1empk:"
CONSOLE_PROTOCOL = 1

# The A/B layout of a deployed firmware (firmware/boot.py chooses the tree at boot;
# `mpk deploy` fills the idle one and switches): /mpk/a and /mpk/b, the active tree's
# name in /mpk/active ("a" confirmed, "b 1" on trial), switched by renaming
# /mpk/active.new onto it. A complete tree has the MARKS: .built (its build id, written
# last) and .sums (its files' hashes and sizes).
SLOT_DIR = "/mpk/"
TREES = ("a", "b")
ACTIVE = "/mpk/active"
MARKS = (".built", ".sums")
