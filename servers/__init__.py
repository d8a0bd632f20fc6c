# Driver servers: one task per peripheral, each with its protocol written down as data
# (PROTOCOL), a serving class, and a client helper. See servers/lib/base.py and
# servers/template.py.
