"""The first code run in the sandbox, by its Python, before the program (passed with ``-c``).

It sets the limits from inside the sandbox's user namespace, where RLIMIT_NPROC counts only
the sandbox's own processes, then runs the program in a child and waits for it: the exit
status and resource use reach the caller on a pipe that the program never holds (its child
closes every inherited descriptor beyond 0-2). Standard library only, and kept to syntax old
Pythons read: this runs under the system's interpreter, not ours.

    python -c LAUNCHER REPORT_FD MAIN CPU_S AS_BYTES NPROC FSIZE_BYTES
"""

import os
import resource
import sys


def _limit(kind, soft, hard=None):
    """Soft and hard limit: the program cannot raise them back (no CAP_SYS_RESOURCE)."""
    hard = soft if hard is None else hard
    _, current = resource.getrlimit(kind)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))


def _launch():
    """Set the limits and fork: the child returns the program's path, the parent never does."""
    report_fd, main = int(sys.argv[1]), sys.argv[2]
    cpu_s, as_bytes, nproc, fsize = (int(arg) for arg in sys.argv[3:7])
    _limit(resource.RLIMIT_CPU, cpu_s, cpu_s + 1)  # SIGXCPU, then SIGKILL a second later
    _limit(resource.RLIMIT_AS, as_bytes)
    _limit(resource.RLIMIT_NPROC, nproc)
    _limit(resource.RLIMIT_FSIZE, fsize)
    _limit(resource.RLIMIT_CORE, 0)
    os.write(report_fd, b"started\n")
    pid = os.fork()
    if pid == 0:
        os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        return main
    _, status, usage = os.wait4(pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    os.write(report_fd, f"exit {status} {cpu:.6f} {usage.ru_maxrss}\n".encode())
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def _run_as_main(path):
    """Run the program as ``python main.py`` would: same ``__main__``, argv, path, traceback."""
    import os
    import sys

    import __main__

    def report(kind, value, trace):  # the traceback starts at the program, not in here
        while trace is not None and trace.tb_frame.f_code.co_filename == "<string>":
            trace = trace.tb_next
        sys.__excepthook__(kind, value.with_traceback(trace), trace)

    full = os.path.abspath(path)
    namespace = __main__.__dict__
    for name in list(namespace):
        if name not in ("__builtins__", "__name__", "__spec__", "__loader__"):
            del namespace[name]
    namespace.update(__file__=full, __cached__=None, __doc__=None)
    sys.argv[:] = [path]
    sys.path[0] = os.path.dirname(full)
    sys.excepthook = report
    with open(full, "rb") as source:
        code = compile(source.read(), full, "exec")
    exec(code, namespace)


_run_as_main(_launch())
