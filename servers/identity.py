# Who is calling: the name a server uses to tell its clients apart across restarts.
# A tid changes with every incarnation; the name a task registered (or, failing that,
# the name it was spawned under, which the supervisor takes from the system image)
# stays the same, so a restarted client finds its files, its watchdog slot, etc.
import kernel


def client_name(tid):
    # The first registered name of tid, else its task name; None if tid is not alive.
    k = kernel.running_kernel()
    if k is None:
        return None
    try:
        info = k.task_info(tid)
    except kernel.IPCError:
        return None
    names = info["names"]
    return names[0] if names else info["name"]
