"""`mpk release TASK`: its supervisor restarts it again (now, if it has ended)."""
from host_tools import task_control
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("task", help="task name, as in the system image")


def run(args):
    return task_control.supervise(args.port, 'release', args.task)
