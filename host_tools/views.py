"""Looking at a running system from the host: `mpk ps`, `top`, `trace` and `log`, through
a LiveSession (host_tools/live.py: the console server, or stop-read-resume)."""
import json
import sys
import time

from host_tools.live import LiveSession, format_event, format_table, rich_table


def ps(port=None, via="auto", as_json=False):
    """`mpk ps`: the task table, once."""
    with LiveSession(port, via) as s:
        tasks = s.query("ps")
    if as_json:
        print(json.dumps(tasks))
    else:
        print(format_table(tasks))
    return 0


def top(port=None, via="auto", as_json=False, interval=1.0, iterations=0):
    """`mpk top`: the task table refreshed every `interval` s (a live table on a terminal)."""
    n = 0
    with LiveSession(port, via) as s:
        live = None
        if not as_json and sys.stdout.isatty():
            from rich.live import Live

            live = Live(auto_refresh=False)
            live.start()
        try:
            while True:
                t0 = time.monotonic()
                snap = s.query("top")
                tasks = snap.get("tasks", [])
                n += 1
                if as_json:
                    print(json.dumps({"t": round(time.time(), 3), "tasks": tasks, "stats": snap.get("stats")}),
                          flush=True)
                elif live:
                    live.update(rich_table(tasks, title="mpk top  %s  (via %s)  %s" % (
                        s.port, s.via, time.strftime("%H:%M:%S"))), refresh=True)
                else:
                    print("--- %s  %d tasks" % (time.strftime("%H:%M:%S"), len(tasks)))
                    print(format_table(tasks), flush=True)
                if iterations and n >= iterations:
                    break
                time.sleep(max(0.0, interval - (time.monotonic() - t0)))
        except KeyboardInterrupt:
            pass
        finally:
            if live:
                live.stop()
    return 0


def stream(what, port=None, via="auto", as_json=False, follow=False, interval=0.5, iterations=0,
           everything=False):
    """`mpk trace` / `mpk log`: the records, and with follow the new ones as they come."""
    since = None
    polls = 0
    with LiveSession(port, via) as s:
        try:
            while True:
                items = s.query(what, since=since, everything=everything)
                polls += 1
                for e in items:
                    print(json.dumps(e) if as_json else format_event(e), flush=True)
                    if isinstance(e, dict) and isinstance(e.get("seq"), int):
                        since = max(since or 0, e["seq"])
                if not follow or (iterations and polls >= iterations):
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
    return 0
