"""The test harness of the code benchmarks: run inside the sandbox as main.py, by the system's
Python (standard library only, syntax old Pythons read), beside the model's program.

It reads job.json, the program (solution.py) and the tests (tests.py or tests.json), runs the
tests in order until the first failure and reports each outcome as a line "NONCE JSON" on a
descriptor of its own: the program's standard output goes to /dev/null (function tests) or to a
capped file per test (stdin tests), never to that channel. The nonce comes on standard input.

Modes (job["mode"]):

- ``check``: EvalPlus and HumanEval test code, run in the program's namespace; the expected
  values are in that code, so the verdict is decided in here. With ``cases="loop"`` each
  iteration of the test's ``for i, ... in enumerate(...)`` loop over its inputs is one test
  (EvalPlus's harness on the hub); with ``cases="asserts"`` each executed ``assert`` is one
  (the original HumanEval and MBPP tests). Both are found in the test's syntax tree, which is
  rewritten so that each test reports its outcome, its input, expected and actual values.
  ``call`` names the function given to the test's ``check(candidate)``, if it has one.
- ``stdin``: the program runs once per test as ``__main__`` in a forked child, the test's input
  on its standard input; its standard output (up to a cap per test) is reported, and the caller
  compares it with the expected output, which never enters the sandbox.
- ``call``: LiveCodeBench's functional tests: ``Solution().<fn_name>(*args)`` (or the bare
  function) per test, the return value reported as JSON for the caller to compare.

Each test has a time limit (job["case_s"]); the sandbox's limits bound the whole run.
"""

import ast
import builtins
import contextlib
import json
import os
import reprlib
import resource
import select
import signal
import sys
import time
import traceback

CHANNEL = -1
NONCE = ""
TEXT_KEPT = 2000  # characters of an error or a value kept in a report: its head and tail
REPORT_S = 2.0  # for printing a failing test's values (their __repr__ is the program's code)
ENTRY = os.path.abspath(__file__) if "__file__" in globals() else "main.py"
PROGRAM, TESTS = "solution.py", "tests.py"

# LiveCodeBench runs every program after star-importing these modules and then importing them
# by name, with a recursion limit of 50,000 (its harness's ``import_string``).
LCB_MODULES = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math",
               "random", "statistics", "itertools", "functools", "operator", "io", "sys",
               "json")  # fmt: skip
LCB_PRELUDE = (
    "".join(f"from {name} import *\n" for name in (*LCB_MODULES, "builtins", "typing"))
    + "".join(f"import {name}\n" for name in LCB_MODULES)
    + "sys.setrecursionlimit(50000)\n"
)
LCB_INT_DIGITS = 50000  # LiveCodeBench's evaluator raises the int-to-str limit to this


class Timeout(BaseException):
    """A test ran over its time limit (BaseException: `except Exception` does not stop it)."""


class Stop(BaseException):
    """The first failure was reported: the rest of the tests do not run."""


def _alarm(signum, frame):
    raise Timeout(f"ran over the time limit of {ARMED[0]:g}s")


ARMED = [0.0]


def arm(seconds):
    ARMED[0] = seconds
    signal.setitimer(signal.ITIMER_REAL, seconds)


def disarm():
    signal.setitimer(signal.ITIMER_REAL, 0)


def emit(event):
    """One report line on the channel, whole even if a signal interrupts the write."""
    data = (NONCE + " " + json.dumps(event, default=str) + "\n").encode("ascii", "replace")
    view = memoryview(data)
    while view:
        view = view[os.write(CHANNEL, view) :]


def cut(text, limit=TEXT_KEPT):
    if len(text) <= limit:
        return text
    head, tail = limit // 4, limit * 3 // 4
    return f"{text[:head]}\n[... {len(text) - head - tail} characters cut ...]\n{text[-tail:]}"


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 300
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxfrozenset = 30
_SHORT.maxdeque = _SHORT.maxarray = 30
_SHORT.maxdict = 20
_SHORT.maxlevel = 5


def short(value):
    """A value's repr, bounded in size (and in time: the program may have written it)."""
    arm(REPORT_S)
    try:
        return cut(_SHORT.repr(value), 600)
    except BaseException as error:
        return f"<unprintable {type(error).__name__}>"
    finally:
        disarm()


def describe(error):
    """``Type: message`` of an exception, bounded."""
    try:
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
    except BaseException:
        text = type(error).__name__
    return cut(text or type(error).__name__)


def format_error(error):
    """The traceback from the program's and the tests' frames only, then the exception."""
    try:
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if os.path.abspath(frame.filename) != ENTRY and frame.filename != "<string>"
        ]
        lines = traceback.format_list(frames)
        text = ("Traceback (most recent call last):\n" + "".join(lines) if lines else "") + (
            describe(error)
        )
    except BaseException:
        text = describe(error)
    return cut(text)


def status_of(error):
    if isinstance(error, Timeout):
        return "timeout"
    if isinstance(error, MemoryError):
        return "memory"
    return "failed"


def read_text(name):
    with open(name, encoding="utf-8", errors="surrogateescape") as handle:
        return handle.read()


def compile_program(source):
    """The program's code object, or None after reporting why it does not compile."""
    try:
        return compile(source, PROGRAM, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as error:
        emit({"e": "syntax", "error": describe(error)})
        return None


def load(code, namespace, seconds):
    """Run the program's top level under the time limit; False after reporting a failure."""
    arm(seconds)
    try:
        exec(code, namespace)
    except BaseException as error:
        disarm()
        emit({"e": "load", "status": status_of(error), "error": format_error(error)})
        return False
    finally:
        disarm()
    return True


# -- check mode: test code rewritten so that each test reports -------------------------------
CASE = """
_llmeval.start()
try:
    pass
except BaseException as _llmeval_error:
    _llmeval.fail(_llmeval_error, None, None, None)
else:
    _llmeval.ok()
finally:
    _llmeval.stop()
"""


def _place(nodes, like):
    for node in nodes:
        for inner in ast.walk(node):
            if "lineno" in inner._attributes:
                inner.lineno, inner.col_offset = like.lineno, like.col_offset
                inner.end_lineno = getattr(like, "end_lineno", like.lineno)
                inner.end_col_offset = getattr(like, "end_col_offset", like.col_offset)
    return nodes


def case(body, index, values, like):
    """`body` as one test: start the clock, report a pass or the failure, stop the clock."""
    start, trying = _place(ast.parse(CASE).body, like)
    trying.body = body
    trying.handlers[0].body[0].value.args[1:] = [index, values, ast.Constant(like.lineno)]
    return [start, trying]


class Loops(ast.NodeTransformer):
    """Each iteration of ``for i, X in enumerate(...)`` is one test; X names its input and
    expected output (EvalPlus's ``i, (inp, exp)``, or ``i, inp`` for its cross-checks)."""

    def __init__(self):
        self.found = 0

    def visit_For(self, node):
        self.generic_visit(node)
        target, iterated = node.target, node.iter
        if not (
            isinstance(iterated, ast.Call)
            and isinstance(iterated.func, ast.Name)
            and iterated.func.id == "enumerate"
            and isinstance(target, ast.Tuple)
            and len(target.elts) == 2
            and isinstance(target.elts[0], ast.Name)
        ):
            return node
        rest = target.elts[1]
        names = [rest] if isinstance(rest, ast.Name) else getattr(rest, "elts", [])
        values = ast.List([ast.Name(n.id, ast.Load()) for n in names if isinstance(n, ast.Name)])
        values.ctx = ast.Load()
        node.body = case(node.body, ast.Name(target.elts[0].id, ast.Load()), values, node)
        self.found += 1
        return node


class Asserts(ast.NodeTransformer):
    """Each executed ``assert`` is one test; for ``assert A <op> B`` the value of A is kept
    as the actual output."""

    def __init__(self, source):
        self.source = source

    def visit_Assert(self, node):
        text = ast.get_source_segment(self.source, node) or f"assert at line {node.lineno}"
        keys, values = [ast.Constant("test")], [ast.Constant(cut(text, 600))]
        body, before = [node], []
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            left = "_llmeval_left"
            before = _place(ast.parse(left + " = _llmeval.unset").body, node)
            body = [
                _place([ast.Assign([ast.Name(left, ast.Store())], test.left)], node)[0],
                node,
            ]
            node.test = ast.Compare(ast.Name(left, ast.Load()), test.ops, test.comparators)
            keys.append(ast.Constant("actual"))
            values.append(ast.Name(left, ast.Load()))
        return before + case(body, ast.Constant(None), ast.Dict(keys, values), node)


def instrument(source, cases):
    tree = ast.parse(source, TESTS)
    if cases == "loop":
        loops = Loops()
        tree = loops.visit(tree)
        if not loops.found:  # not EvalPlus's shape: its asserts are the tests
            tree = Asserts(source).visit(ast.parse(source, TESTS))
    else:
        tree = Asserts(source).visit(tree)
    return ast.fix_missing_locations(tree)


class Cases:
    """The hooks the rewritten tests call (as ``_llmeval``)."""

    unset = object()

    def __init__(self, seconds):
        self.seconds = seconds
        self.passed = 0

    def start(self):
        arm(self.seconds)

    def stop(self):
        disarm()

    def ok(self):
        disarm()
        self.passed += 1
        emit({"e": "pass", "n": self.passed})

    def fail(self, error, index, values, line):
        disarm()
        event = {
            "e": "fail",
            "n": self.passed + 1,
            "index": index,
            "line": line,
            "status": status_of(error),
            "error": format_error(error),
        }
        if isinstance(values, list):  # a loop's input and expected output
            if values:
                event["input"] = short(values[0])
            if len(values) > 1:
                event["expected"] = short(values[1])
        elif isinstance(values, dict):
            event["input"] = values.get("test", "")
            actual = values.get("actual", self.unset)
            if actual is not self.unset:
                event["actual"] = short(actual)
        seen = _assertion_locals(error)
        if "out" in seen:
            event["actual"] = short(seen["out"])
        for name in ("exp", "exp_0"):
            if name in seen and "expected" not in event:
                event["expected"] = short(seen[name])
        if "actual" not in event and not isinstance(error, (AssertionError, Timeout)):
            event["actual"] = "raised " + describe(error)
        emit(event)
        raise Stop()


def _assertion_locals(error):
    """The locals of the tests' ``assertion(out, exp, atol)`` frame, where it failed."""
    trace = error.__traceback__
    while trace is not None:
        frame = trace.tb_frame
        if frame.f_code.co_name == "assertion" and frame.f_code.co_filename == TESTS:
            return dict(frame.f_locals)
        trace = trace.tb_next
    return {}


def run_check(job):
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)  # EvalPlus's tests hold integers of any size
    program = compile_program(read_text(PROGRAM))
    if program is None:
        return
    try:
        tests = compile(instrument(read_text(TESTS), job["cases"]), TESTS, "exec")
    except BaseException as error:
        emit({"e": "setup", "error": "the tests do not compile: " + describe(error)})
        return
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    if not load(program, namespace, job["case_s"]):
        return
    cases = Cases(job["case_s"])
    namespace["_llmeval"] = cases
    entry = job.get("call")
    try:
        exec(tests, namespace)
        if entry:
            if entry not in namespace:
                raise NameError(f"the program defines no {entry!r}")
            namespace["check"](namespace[entry])
    except Stop:
        return
    except BaseException as error:  # outside any test: the tests' own set-up failed
        disarm()
        emit({"e": "fail", "n": cases.passed + 1, "status": status_of(error),
              "error": format_error(error), "actual": "raised " + describe(error)})  # fmt: skip
        return
    emit({"e": "done", "passed": cases.passed})


# -- call mode: LiveCodeBench's functional tests ----------------------------------------------
def run_call(job):
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(LCB_INT_DIGITS)
    source = read_text(PROGRAM)
    program = compile_program(source)
    if program is None:
        return
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    exec(LCB_PRELUDE, namespace)
    if not load(program, namespace, job["case_s"]):
        return
    name = job["fn_name"]
    arm(job["case_s"])
    try:  # LiveCodeBench: a Solution instance when the program defines the class
        owner = namespace["Solution"]() if "class Solution" in source else None
        method = getattr(owner, name) if owner is not None else namespace[name]
    except BaseException as error:
        disarm()
        emit({"e": "load", "status": status_of(error), "error": format_error(error)})
        return
    finally:
        disarm()
    with open("tests.json", encoding="utf-8") as handle:
        inputs = json.load(handle)["inputs"]
    for index, text in enumerate(inputs):
        try:
            args = [json.loads(line) for line in text.split("\n")]
        except ValueError as error:
            problem = f"test {index}: its input is not JSON lines: {describe(error)}"
            emit({"e": "setup", "error": problem})
            return
        started, cpu = time.monotonic(), time.process_time()
        arm(job["case_s"])
        try:
            result = method(*args)
        except BaseException as error:
            disarm()
            status = status_of(error)
            emit({"e": "case", "i": index, "status": "error" if status == "failed" else status,
                  "error": format_error(error), "wall_s": time.monotonic() - started})  # fmt: skip
            return
        finally:
            disarm()
        event = {"e": "case", "i": index, "status": "ok", "wall_s": time.monotonic() - started,
                 "cpu_s": time.process_time() - cpu}  # fmt: skip
        if isinstance(result, tuple):  # LiveCodeBench does not fail a tuple for a list
            result = list(result)
        try:
            event["output"] = json.dumps(result)
        except (TypeError, ValueError, RecursionError):
            event["output"], event["repr"] = None, short(result)
        emit(event)
    emit({"e": "done"})


# -- stdin mode: a fresh __main__ per test, in a forked child ---------------------------------
def run_stdin(job):
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(LCB_INT_DIGITS)
    program = compile_program(read_text(PROGRAM))
    if program is None:
        return
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    exec(LCB_PRELUDE, namespace)  # once, before the forks: each child starts with it
    with open("tests.json", encoding="utf-8") as handle:
        tests = json.load(handle)
    for index, (text, cap) in enumerate(zip(tests["inputs"], tests["caps"])):
        with open(".input", "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
        event = child(program, namespace, cap, job["case_s"])
        event.update(e="case", i=index)
        emit(event)
        if event["status"] != "ok":
            return
    emit({"e": "done"})


def child(program, namespace, cap, seconds):
    """Run the program once on .input; its output, how it ended and what it used."""
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _be_the_program(program, namespace, cap)
    timed_out = not _wait(pid, seconds)
    if timed_out:
        _kill(pid)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    _kill(pid)  # whatever it left behind in its process group
    code = os.waitstatus_to_exitcode(status)
    size = os.path.getsize(".output")
    with open(".output", "rb") as handle:
        output = handle.read(cap).decode("utf-8", "replace")
    with open(".errors", "rb") as handle:
        errors = handle.read().decode("utf-8", "replace")
    if timed_out:
        state = "timeout"
    elif size >= cap or code == -signal.SIGXFSZ:
        state = "output_limit"
    elif code == 3 or "MemoryError" in errors[-2000:]:
        state = "memory"
    elif code != 0:
        state = "error"
    else:
        state = "ok"
    event = {"status": state, "exit_code": code, "wall_s": wall,
             "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_kb": usage.ru_maxrss}  # fmt: skip
    if state == "ok":
        event["output"] = output
    else:
        event["error"] = cut(errors.rstrip())
    return event


def _be_the_program(program, namespace, cap):
    """In the child: the test's files as standard streams, then the program; never returns."""
    code = 70
    try:
        os.setpgid(0, 0)
        os.close(CHANNEL)
        for fd, name, flags in (
            (0, ".input", os.O_RDONLY),
            (1, ".output", os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, ".errors", os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            opened = os.open(name, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        text = {"encoding": "utf-8", "closefd": False}
        sys.stdin = sys.__stdin__ = open(0, errors="surrogateescape", **text)  # noqa: SIM115
        sys.stdout = sys.__stdout__ = open(1, "w", errors="surrogateescape", **text)  # noqa: SIM115
        sys.stderr = sys.__stderr__ = open(2, "w", errors="backslashreplace", buffering=1, **text)  # noqa: SIM115
        code = 0
        try:
            exec(program, namespace)
        except SystemExit:  # LiveCodeBench ignores it and compares the output so far
            pass
        except MemoryError as error:
            sys.stderr.write(format_error(error) + "\n")
            code = 3
        except BaseException as error:
            sys.stderr.write(format_error(error) + "\n")
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                code = code or 4
    finally:
        os._exit(code)


def _wait(pid, seconds):
    """True when the child ended within `seconds`."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        try:
            return bool(select.select([handle], [], [], seconds)[0])
        finally:
            os.close(handle)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.002)
    return False


def _kill(pid):
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


MODES = {"check": run_check, "call": run_call, "stdin": run_stdin}


def main():
    global CHANNEL, NONCE
    NONCE = os.read(0, 256).decode("ascii", "replace").strip()
    CHANNEL = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    signal.signal(signal.SIGALRM, _alarm)
    with open("job.json", encoding="utf-8") as handle:
        job = json.load(handle)
    emit({"e": "start"})
    MODES[job["mode"]](job)


if __name__ == "__main__":  # as the sandbox runs it; importing it does nothing
    main()
