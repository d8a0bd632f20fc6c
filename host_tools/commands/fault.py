"""`mpk fault TASK`: make a task fail on purpose (exception, memory or hang)."""
from host_tools import task_control
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("task", help="task name or tid")
    p.add_argument("--kind", choices=task_control.KINDS, default="exception",
                   help="exception: InjectedFault where it stands; memory: MemoryError; "
                        "hang: it stops until the supervisor's pings find it (default: exception)")


def run(args):
    return task_control.fault(args.port, args.task, args.kind)
