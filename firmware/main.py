"""Placeholder for the firmware's entry point; the system image replaces it.

On the board, /main.py (a stub written by `mpk deploy`) imports this module from the
active firmware tree and then calls main() if it is defined. Importing it must not
block: start the system in main(). (A firmware that starts from the import itself must
call `boot.confirm()` once it is up, or it is taken as failing to start.)
"""


def main():
    print("mpk firmware: placeholder main.py (no system image yet)")


if __name__ == "__main__":
    main()
