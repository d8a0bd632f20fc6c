# The firmware: main.py (the entry point), system.py (the system image), apps/.
