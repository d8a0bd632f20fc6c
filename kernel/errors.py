# IPC errors: thrown into the task whose system call failed. All derive from IPCError,
# so a client can catch every IPC failure with one except clause.


class IPCError(Exception):
    pass


class Timeout(IPCError):
    # recv, call, lookup or sleep-with-deadline ran out of time.
    pass


class Dead(IPCError):
    # The peer has ended (or the tid names an incarnation that no longer exists).
    pass


class Full(IPCError):
    # The destination mailbox has no free slot; nothing was queued.
    pass


class Denied(IPCError):
    # The caller's capability list does not allow this destination.
    pass


class Busy(IPCError):
    # The hardware claimed is held by another live task.
    pass
