"""`mpk deploy --live`: replace only the servers whose code changed, on the running system.

The board is read as for every deploy (Ctrl-C stops the kernel, keeping every task and
its state). The plan must be one a running system can take (deploy_plan.live_modules:
only task modules changed; the kernel, the supervisor, boot.py, the image's task list
cannot). The changed files go into the idle tree as in a plain deploy (sent, verified by
hash, sealed) and the active tree is switched with one rename, so a reset afterwards boots
the new code; then the system is resumed, not reset, and its supervisor is asked, through
the console server, to replace the tasks whose code changed (servers/lib/live_update.py).
Once the grace period is over the host asks how it ended: a new incarnation that faulted
in it was rolled back to the old code, which is reported with its fault record, and the
deploy fails.
"""
import ast
import time

from host_tools.console_protocol import RESUME_CODE
from host_tools.deploy_plan import SLOT_DIR, check_space, hash_trees, live_modules, plan, summary as plan_summary
from host_tools.errors import MpkError
from host_tools.link import BoardExecError, BoardGone, ConsoleClient

GRACE_S = 3.0
LIVE_FRAME = 768        # raw bytes per frame (1 KB of base64) while the system is in the heap


def deploy_live(q, scan, port, make_plan, progress=False, grace_s=GRACE_S, hook=None):
    """q: the open QuickRepl the deploy's read left in the raw REPL (the system stopped);
    make_plan(scan) -> (board name, manifest, plan). Returns the summary dict."""
    hook = hook or (lambda stage, board: None)
    with q:
        if not scan.get("kernel"):
            q.soft_reset()
            raise MpkError("no system is running on %s to update live (it was started now); "
                           "run `mpk deploy`" % port)
        try:
            name, manifest, p = make_plan(scan)
            summary = plan_summary(port, name, manifest, p)
            summary["live"] = True
            if p["up_to_date"]:
                summary["up_to_date"] = True
                q.resume(RESUME_CODE)
                summary["after"] = "resumed"
                return summary
            modules, why = live_modules(manifest, scan, p)
            if why:
                raise MpkError("cannot update live: %s; run `mpk deploy` (it resets the board)" % why)
            if scan.get("unhashed"):
                scan = hash_trees(lambda code: q.exec(code, timeout=60), scan)
                p = plan(manifest, scan)
            check_space(p)
            from host_tools.deploy_write import _apply

            # The system stays in the heap meanwhile, which it leaves in small pieces: small
            # frames, and no deflate (which gathers a whole file before it inflates it).
            p["deflate"], p["frame"] = False, LIVE_FRAME
            t0 = time.monotonic()
            _apply(q, manifest, p, progress, hook, summary["kept"])
            summary["switched"] = True
            summary["write_s"] = time.monotonic() - t0
        except (MpkError, BoardExecError) as e:
            _resume_quietly(q)
            if isinstance(e, BoardGone):
                raise MpkError("%s; the board still boots its previous firmware" % e) from None
            raise
        # The new tree is active (a reset boots it); now the running system takes it.
        t1 = time.monotonic()
        q.resume(RESUME_CODE)
        summary["modules"] = modules
        summary["grace_s"] = grace_s
        reply = _ask_update(q, modules, SLOT_DIR + p["target"], grace_s)
        summary["update_s"] = time.monotonic() - t1
        summary["tasks"] = reply.get("tasks") or []
        if reply.get("rolled_back"):
            f = reply.get("fault") or {}
            raise MpkError("live update rolled back: the new %s failed within %g s (%s: %s); the old code "
                           "runs again and tree %s is marked active" % (
                               reply.get("task"), grace_s, f.get("type") or reply.get("reason"),
                               f.get("text", ""), p["active"]))
        return summary


def _resume_quietly(q):
    try:
        q.resume(RESUME_CODE)
    except MpkError:
        pass


def _ask_update(q, modules, tree, grace_s):
    """The supervisor replaces the tasks at once; how it ended is asked once the grace
    period is over (the console, which carries the request, must not block meanwhile: its
    own liveness pings would find it hung)."""
    ms = int(grace_s * 1000)
    client = ConsoleClient(q)
    with q.guard("asking the running system to update"):
        # The console server answers its hello once the resumed system runs again.
        deadline = time.monotonic() + 10
        while client.request("hello", timeout=1.0) is None:
            if time.monotonic() > deadline:
                raise MpkError("the resumed system's console did not answer; the new tree is active: "
                               "`mpk reset` boots it")
        _supervisor(client, ("update", list(modules), tree, ms))
        deadline = time.monotonic() + grace_s + 15
        time.sleep(grace_s)
        while True:
            done = _supervisor(client, ("updated",))
            if done is not None:
                return done
            if time.monotonic() > deadline:
                raise MpkError("the live update did not end within %g s; the new tree is active: `mpk reset` "
                               "boots it" % (grace_s + 15))
            time.sleep(0.2)


def _supervisor(client, msg):
    r = client.request("call", {"to": "supervisor", "msg": repr(msg), "timeout_ms": 5000}, timeout=10)
    if r is None:
        raise MpkError("no answer from the board's console to %s; the new tree is active: `mpk reset` boots it"
                       % msg[0])
    if not r.get("ok"):
        raise MpkError("live update refused by the board: %s; the new tree is active: `mpk reset` boots it"
                       % r.get("error"))
    try:
        reply = ast.literal_eval(r.get("data"))
    except (ValueError, SyntaxError):
        raise MpkError("unexpected answer to the live update: %r" % (r.get("data"),)) from None
    if type(reply) is tuple and len(reply) == 3 and reply[0] == "err":
        raise MpkError("live update refused by the supervisor: %s: %s; the new tree is active: `mpk reset` "
                       "boots it" % (reply[1], reply[2]))
    return reply
