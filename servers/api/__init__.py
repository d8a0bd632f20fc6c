# Client modules, one per server: its PROTOCOL and client(), so an application imports
# `from servers.api import gpio` without loading the gpio driver or the hardware layer.
