"""A detached process that undoes a job's claims on the rack when the job dies.

labgrid keys a lock on a "HOST/USER" string, not on a process: `labgrid-client acquire`
itself exits at once, and a job killed with SIGKILL would keep its place until someone
releases it by hand. So, before it claims anything, a job starts this guard on the read
end of a pipe whose write end only the job holds (os.pipe() is not inherited by the job's
children, so a forgotten worker does not keep it open). The job tells it what would have
to be undone, as labgrid-client arguments, one line each:

    + ["-p", "pico1", "release-from", "host/user.mpk123"]     to run if the job dies
    - ["-p", "pico1", "release-from", "host/user.mpk123"]     the job did it itself

When the pipe ends (the job exited, in whatever way) the guard runs what is left, newest
first, and exits. It runs in a session of its own, so the Ctrl-C or the kill of the job's
process group that ends the job does not end the guard with it. Stdlib only; the job side
is `Guard`, the guard side `main()` (python guard.py LABGRID_CLIENT).
"""
import json
import os
import subprocess
import sys


class Guard:
    def __init__(self, client):
        r, w = os.pipe()
        try:
            self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), client.path], stdin=r,
                                         env=client.env, cwd="/", start_new_session=True, close_fds=True,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except BaseException:
            os.close(w)
            raise
        finally:
            os.close(r)
        self._w = w

    def _say(self, op, args):
        if self._w is not None:
            os.write(self._w, ("%s %s\n" % (op, json.dumps([str(a) for a in args]))).encode())

    def add(self, *args):
        self._say("+", args)

    def remove(self, *args):
        self._say("-", args)

    def close(self):
        """The job ends normally: whatever is still pending is run now, by the guard."""
        if self._w is not None:
            os.close(self._w)
            self._w = None
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                pass


def main(argv):
    client = argv[1]
    pending = []
    for line in sys.stdin:
        op, _, rest = line.strip().partition(" ")
        try:
            args = json.loads(rest)
        except ValueError:
            continue
        if op == "+":
            pending.append(args)
        elif op == "-" and args in pending:
            pending.remove(args)
    for args in reversed(pending):
        try:
            subprocess.run([client] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            pass


if __name__ == "__main__":
    main(sys.argv)
