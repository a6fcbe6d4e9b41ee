"""The sandbox, on real processes: correct and wrong programs, and hostile ones.

Each hostile program exits 0 only if its attack worked, so a contained attack is a `failed`
result; after every test, no process of any program may remain and the next program runs.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_llmeval.sandbox import Limits, ProgramResult, Sandbox, SandboxError, check_available
from pytest_llmeval.sandbox import bwrap as bwrap_module
from tests.code_helpers import descendants as all_descendants

PROBLEM = check_available()
pytestmark = pytest.mark.skipif(PROBLEM is not None, reason=f"no sandbox here: {PROBLEM}")
CHECKOUT_FILE = Path(__file__).resolve()


def run(source: str, *, sandbox: Sandbox | None = None, **kwargs: object) -> ProgramResult:
    return asyncio.run((sandbox or Sandbox()).run(source, **kwargs))  # type: ignore[arg-type]


_BEFORE: set[int] = set()
"""Descendants that existed before the test (math-verify's worker of an earlier test, say)."""


def descendants() -> list[int]:
    """Our process's descendants that the test made: every sandboxed process is one of them."""
    return [pid for pid in all_descendants() if pid not in _BEFORE]


class PeakProcesses:
    """Counts our descendants every 20 ms while a program runs; keeps the highest count."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, len(descendants()))

    def __enter__(self) -> PeakProcesses:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(autouse=True)
def _nothing_left_and_next_program_runs() -> Iterator[None]:
    _BEFORE.clear()
    _BEFORE.update(descendants())
    yield
    assert descendants() == [], "a process of a program outlived it"
    after = run("print('next')")
    assert (after.status, after.stdout) == ("ok", "next\n")


def test_a_correct_program_passes() -> None:
    result = run("import sys\nprint(sum(map(int, sys.stdin.read().split())))", stdin="20 22\n")
    assert (result.status, result.exit_code, result.stdout) == ("ok", 0, "42\n")
    assert result.cpu_s is not None and 0 < result.cpu_s < 1
    assert result.max_rss_kb is not None and result.max_rss_kb > 1000


def test_a_wrong_program_fails_with_its_output_and_its_own_traceback() -> None:
    result = run("print('got', 41)\nassert 41 == 42, 'off by one'\n")
    assert (result.status, result.exit_code, result.stdout) == ("failed", 1, "got 41\n")
    lines = result.stderr.splitlines()  # no frame of the launcher that ran it
    assert lines[:3] == [
        "Traceback (most recent call last):",
        '  File "/tmp/main.py", line 2, in <module>',
        "    assert 41 == 42, 'off by one'",
    ]
    assert lines[-1] == "AssertionError: off by one"


def test_files_lie_beside_the_program_and_import_as_modules() -> None:
    files = {"helper.py": "def double(x):\n    return 2 * x\n", "data/n.txt": "21"}
    source = "import helper\nprint(helper.double(int(open('data/n.txt').read())), __name__)"
    result = run(source, files=files)
    assert (result.status, result.stdout) == ("ok", "42 __main__\n")
    with pytest.raises(ValueError, match="relative"):
        run("pass", files={"../escape.py": ""})


def test_ssh_keys_in_the_home_folder_are_out_of_reach(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_ed25519").write_text("CANARY-SSH-KEY")
    monkeypatch.setenv("HOME", str(tmp_path))
    source = f"""
import os
for path in ["~/.ssh/id_ed25519", {str(tmp_path / ".ssh/id_ed25519")!r}, "/root/.ssh"]:
    try:
        print(open(os.path.expanduser(path)).read())
        raise SystemExit(0)
    except OSError as error:
        print("blocked", path, error.strerror)
raise SystemExit(1)
"""
    result = run(source)
    assert result.status == "failed"
    assert result.stdout.count("blocked") == 3 and "CANARY" not in result.stdout


def test_the_checkout_and_the_home_folder_are_invisible() -> None:
    source = f"""
import os
for path in [{str(CHECKOUT_FILE)!r}, "/work", "/root", "/home", "/root/.cache"]:
    if os.path.exists(path):
        print("visible", path)
        raise SystemExit(0)
print("none visible")
raise SystemExit(1)
"""
    result = run(source)
    assert (result.status, result.stdout) == ("failed", "none visible\n")


def test_etc_shadow_is_unreadable() -> None:
    result = run("print(open('/etc/shadow').read())")
    assert result.status == "failed" and "FileNotFoundError" in result.stderr


def test_secrets_in_our_environment_are_invisible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary")
    source = """
import os
seen = [repr(os.environ)]
for entry in os.listdir("/proc"):  # every process of the sandbox: bwrap's init included
    if entry.isdigit():
        try:
            seen.append(open(f"/proc/{entry}/environ", "rb").read().decode())
        except OSError:
            pass
print(*seen, sep="\\n")
raise SystemExit(0 if "sk-canary" in "".join(seen) else 1)
"""
    result = run(source)
    assert result.status == "failed"
    assert "PATH" in result.stdout and "sk-canary" not in result.stdout


def test_writing_outside_the_private_folder_fails(tmp_path: Path) -> None:
    outside = tmp_path / "written-by-the-program"
    source = f"""
written = []
for path in ["/x", "/usr/x", "/etc/x", "/dev/x", "/dev/shm/x", "/proc/x", {str(outside)!r}]:
    try:
        open(path, "w").write("x")
        written.append(path)
    except OSError:
        pass
open("/tmp/allowed", "w").write("the private folder is writable")
print(written)
raise SystemExit(0 if written else 1)
"""
    result = run(source)
    assert (result.status, result.stdout) == ("failed", "[]\n")
    assert not outside.exists()


def test_a_full_disk_is_the_programs_failure() -> None:
    source = "open('big', 'wb').write(b'x' * (8 << 20))"
    result = run(source, limits=Limits(disk_mb=4))
    assert result.status == "failed"
    assert "No space left on device" in result.stderr or "File too large" in result.stderr


def test_no_connection_reaches_a_listener_on_our_loopback() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        source = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)"
        result = run(source)
        assert result.status == "failed" and "ConnectionRefusedError" in result.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_the_process_limit_binds_even_when_we_are_root() -> None:
    source = """
import os, time
made = 0
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    made += 1
print(made)
"""
    with PeakProcesses() as peak:
        result = run(source, limits=Limits(processes=16))
    assert result.status == "ok"
    assert 10 <= int(result.stdout) < 16  # the program itself counts too
    assert peak.peak <= 16 + 3  # bwrap, the sandbox's init and the launcher besides


def test_a_fork_bomb_is_contained_and_ended() -> None:
    source = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    )
    with PeakProcesses() as peak:
        result = run(source, limits=Limits(wall_s=1.5, processes=16))
        left = descendants()  # at once: the run returns only once its namespace is empty
    assert left == []
    assert result.status == "timeout" and result.wall_s < 5
    assert 0 < peak.peak <= 16 + 3


def test_an_endless_loop_is_a_timeout_on_wall_time_or_on_cpu_time() -> None:
    walled = run("while True: pass", limits=Limits(wall_s=1))
    assert walled.status == "timeout" and 1 <= walled.wall_s < 3
    cpu_bound = run("while True: pass", limits=Limits(wall_s=10, cpu_s=1))
    assert cpu_bound.status == "timeout" and cpu_bound.wall_s < 3
    assert cpu_bound.cpu_s is not None and cpu_bound.cpu_s >= 0.5


def test_allocating_50_gb_is_a_memory_result() -> None:
    result = run("block = bytearray(50 * 2**30)")
    assert result.status == "memory" and result.stderr.rstrip().endswith("MemoryError")
    growing = run(
        "blocks = []\nwhile True:\n    blocks.append(bytearray(8 << 20))",
        limits=Limits(memory_mb=128),
    )
    assert growing.status == "memory"
    assert growing.max_rss_kb is not None and growing.max_rss_kb < 140 * 1024


def _peak_rss_kib() -> int:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])


def test_printing_1_gb_stops_at_the_output_limit_and_our_memory_stays_small() -> None:
    before = _peak_rss_kib()
    source = "import sys\nfor _ in range(1024):\n    sys.stdout.write('x' * (1 << 20))"
    result = run(source, limits=Limits(output_bytes=1_000_000))
    assert result.status == "output_limit" and result.wall_s < 5
    assert len(result.stdout) == 1_000_000
    assert _peak_rss_kib() - before < 32 * 1024


def test_killing_its_parent_or_everything_it_sees_ends_only_the_program() -> None:
    for kill in ("os.kill(os.getppid(), 9)", "os.kill(-1, 9)"):
        result = run(f"import os, time\n{kill}\ntime.sleep(5)\nprint('survived')")
        assert result.status == "failed" and result.wall_s < 3, kill
        assert "survived" not in result.stdout
    # the sandbox's init ignores signals from inside its namespace: nothing happens at all
    result = run("import os, time\nos.kill(1, 9)\ntime.sleep(0.2)\nprint('survived')")
    assert (result.status, result.stdout) == ("ok", "survived\n")


def test_background_processes_end_with_the_program() -> None:
    source = """
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
if os.fork() == 0:  # a daemon: double fork, new session, no inherited output
    os.setsid()
    if os.fork() == 0:
        os.closerange(0, 3)
        time.sleep(60)
    os._exit(0)
time.sleep(0.2)
print("spawned")
"""
    started = time.monotonic()
    result = run(source)
    assert (result.status, result.stdout) == ("ok", "spawned\n")
    assert time.monotonic() - started < 5
    assert descendants() == []


def test_a_cancelled_run_ends_its_program() -> None:
    async def scenario() -> None:
        task = asyncio.create_task(Sandbox().run("import time; time.sleep(30)"))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started = time.monotonic()
    asyncio.run(scenario())
    assert time.monotonic() - started < 3
    assert descendants() == []


def test_programs_run_in_parallel_up_to_the_bound_without_blocking_the_loop() -> None:
    async def scenario() -> tuple[float, int, list[ProgramResult]]:
        sandbox = Sandbox(parallel=2)
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        results = await asyncio.gather(
            *(sandbox.run("import time; time.sleep(0.5)") for _ in range(4))
        )
        elapsed = time.monotonic() - started
        ticker.cancel()
        return elapsed, ticks, results

    elapsed, ticks, results = asyncio.run(scenario())
    assert [result.status for result in results] == ["ok"] * 4
    assert 1.0 <= elapsed < 2.0  # two at a time: two rounds of half a second
    assert ticks >= 15  # the loop kept turning while programs ran


def test_unsandboxed_runs_only_by_name_and_still_under_limits() -> None:
    bare = Sandbox(isolation="none")
    seen = run(f"print(open({str(CHECKOUT_FILE)!r}).read(10))", sandbox=bare)
    assert seen.status == "ok" and seen.stdout.startswith('"""The s')  # no isolation at all
    assert run("while True: pass", sandbox=bare, limits=Limits(wall_s=0.5)).status == "timeout"
    holder = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(4)'],"
        " start_new_session=True)"
    )
    held = run(holder, sandbox=bare, limits=Limits(wall_s=0.5))  # its output stays open
    assert held.status == "timeout" and held.wall_s < 3
    with pytest.raises(ValueError, match="isolation"):
        Sandbox(isolation="off")  # type: ignore[arg-type]


def test_without_bwrap_there_is_a_fix_and_no_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    problem = check_available()
    assert problem is not None and "apt-get install bubblewrap" in problem
    assert len(problem.splitlines()) == 1
    with pytest.raises(SandboxError, match="apt-get install bubblewrap"):
        Sandbox()


def test_a_python_outside_usr_is_refused_with_a_fix(tmp_path: Path) -> None:
    problem = bwrap_module.problem_with(bwrap_module.find_bwrap(), str(tmp_path / "python3"))
    assert problem is not None and "apt-get install python3" in problem


def test_a_sandbox_that_cannot_start_raises_instead_of_blaming_the_program() -> None:
    with pytest.raises(SandboxError, match="did not start"):
        run("pass", files={"huge.bin": "x" * (3 << 20)}, limits=Limits(disk_mb=1))
