"""A HIL rack on several hosts, through labgrid (https://labgrid.readthedocs.io).

labgrid does the sharing: a coordinator knows the places (one board each, with tags), an
exporter on every host with boards publishes their serial ports (served over RFC 2217 by
ser2net while a place is acquired) and power switches, and a client acquires and releases
places. mpk only drives labgrid's own commands, as subprocesses from labgrid's venv
(.venv-labgrid: its pyserial fork must not meet mpk's pyserial):

    tools.py    where labgrid's commands and ser2net are; what is missing to use them
    client.py   one labgrid-client call: its output, or one line of error; `show` parsed
    guard.py    a detached process that undoes a job's claims when the job dies (even kill -9)
    lease.py    the board spec `labgrid:PLACE` / `labgrid:TAG=VALUE`: acquire a place (waiting
                with a timeout), its rfc2217:// URL, power cycle, release; handed to children
    export.py   `mpk rig export`: this host's boards as an exporter config, and their places
"""
