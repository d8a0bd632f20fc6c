"""One labgrid-client call: its output, or one line of error; `show` and `places -v` parsed.

labgrid-client is run as a subprocess (from labgrid's venv, see tools.py) rather than
imported: its pyserial fork cannot share mpk's venv, its command line has stayed the same
across releases while its Python internals were rewritten (gRPC, 24.0), and it reports a
failure as one line on stderr. Each call costs about half a second (Python, gRPC, the
first sync with the coordinator).

The identity a coordinator records as a place's holder is "HOST/USER" (LG_HOSTNAME,
LG_USERNAME); a Client carries one, so that a lease, its guard and its children all act as
the same holder.
"""
import ast
import os
import re
import subprocess

from host_tools.errors import MpkError
from host_tools.rack import tools

DEFAULT_COORDINATOR = "127.0.0.1:20408"     # labgrid's own default
CALL_TIMEOUT_S = 60


class LabgridError(MpkError):
    """A labgrid-client call failed; the message is its one line of error."""


class Client:
    def __init__(self, coordinator=None, host=None, user=None):
        self.path = tools.command("labgrid-client")
        self.env = dict(os.environ)
        for var, value in (("LG_COORDINATOR", coordinator), ("LG_HOSTNAME", host), ("LG_USERNAME", user)):
            if value:
                self.env[var] = value
        self.coordinator = self.env.get("LG_COORDINATOR") or DEFAULT_COORDINATOR
        self.env["LG_COORDINATOR"] = self.coordinator
        self.env.pop("LG_TOKEN", None)      # a shell's reservation must not choose our places
        self.env.pop("LG_PLACE", None)

    def argv(self, *args, place=None):
        return [self.path] + (["-p", place] if place else []) + [str(a) for a in args]

    def run(self, *args, place=None, check=True, timeout=CALL_TIMEOUT_S):
        """The finished call; with check, a failure raises LabgridError (its last line)."""
        cmd = self.argv(*args, place=place)
        try:
            p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LabgridError("labgrid-client %s: no answer within %g s from the coordinator at %s"
                               % (" ".join(cmd[1:]), timeout, self.coordinator)) from None
        if check and p.returncode:
            raise LabgridError(error_line(p.stderr or p.stdout, p.returncode, self.coordinator))
        return p

    def start(self, *args, place=None):
        """The call, running (its output unbuffered, so a first line can be read at once)."""
        return subprocess.Popen(self.argv(*args, place=place), env=dict(self.env, PYTHONUNBUFFERED="1"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def show(self, place):
        return parse_place(self.run("show", place=place).stdout)

    def places(self):
        """{name: {"tags", "acquired", ...}} of every place (`-v places`)."""
        return parse_places(self.run("-v", "places").stdout)


def parse_places(text):
    found = {}
    for block in re.split(r"^(?=Place ')", text, flags=re.M):
        if block.startswith("Place '"):
            info = parse_place(block)
            found[info["name"]] = info
    return found


def error_line(output, returncode, coordinator):
    """labgrid's one line of error (the last of its output), without its "Error: "
    prefixes; the coordinator named when it is what could not be reached."""
    lines = [l.strip() for l in (output or "").splitlines() if l.strip()]
    text = lines[-1] if lines else "labgrid-client exited with status %d" % returncode
    text = re.sub(r"^(?:(?:Server |User )?[Ee]rror:\s*)+", "", text)
    if "could not connect to coordinator" in text.lower():
        return "could not connect to the labgrid coordinator at %s ($LG_COORDINATOR)" % coordinator
    return text


_RESOURCE = re.compile(r"^(?:Acquired|Matching) resource '([^']+)' \(([^)]*)\):\n((?:  .*\n?)+)", re.M)


def parse_place(text):
    """`labgrid-client show` (or one block of `places -v`) as a dict:
    name, tags {k: v}, acquired ("HOST/USER" or None), reservation, matches [...], and
    resources {name: {"cls", "params", "avail", "path": "exporter/group/cls/name"}}."""
    info = {"name": None, "tags": {}, "acquired": None, "reservation": None, "matches": [], "resources": {}}
    m = re.search(r"^Place '([^']+)':", text, re.M)
    if m:
        info["name"] = m.group(1)
    m = re.search(r"^  tags: (.*)$", text, re.M)
    if m:
        info["tags"] = dict(kv.split("=", 1) for kv in m.group(1).split(", ") if "=" in kv)
    m = re.search(r"^  acquired: (.*)$", text, re.M)
    if m and m.group(1) != "None":
        info["acquired"] = m.group(1).strip()
    m = re.search(r"^  reservation: (\S+)$", text, re.M)
    if m:
        info["reservation"] = m.group(1)
    m = re.search(r"^  matches:\n((?:    .*\n?)*)", text, re.M)
    if m:
        info["matches"] = [l.strip() for l in m.group(1).splitlines() if l.strip()]
    for m in _RESOURCE.finditer(text):
        try:
            data = ast.literal_eval(m.group(3).strip())
        except (ValueError, SyntaxError):
            continue
        if isinstance(data, dict):
            info["resources"][m.group(1)] = dict(data, path=m.group(2))
    return info
