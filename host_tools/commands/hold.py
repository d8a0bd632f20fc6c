"""`mpk hold TASK`: its supervisor does not restart it when it ends."""
from host_tools import task_control
from host_tools.link import add_port_argument


def arguments(p):
    add_port_argument(p)
    p.add_argument("task", help="task name, as in the system image")


def run(args):
    return task_control.supervise(args.port, 'hold', args.task)
