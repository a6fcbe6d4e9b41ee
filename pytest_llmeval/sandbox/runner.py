"""Running one untrusted program under limits, on the asyncio loop, to a typed result.

Each program gets a fresh sandbox (see `bwrap`); inside it the launcher sets the limits and
reports how the program ended. A program that breaks a limit is a result (`timeout`, `memory`,
`output_limit`), never an exception or a hang of the caller: wall time is watched here, output
is read with a cap, and ending a sandbox means killing its pid namespace's init, after which
the kernel has killed every process in it. Programs run in parallel up to the CPU count, each
as an asyncio subprocess, so a slow one never blocks the loop or the model calls on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pytest_llmeval.sandbox import bwrap

Status = Literal["ok", "failed", "timeout", "memory", "output_limit"]
Isolation = Literal["bwrap", "none"]

LAUNCHER = (Path(__file__).with_name("launcher.py")).read_text()
MAIN = "main.py"
STDERR_KEPT = 8_000  # characters: the head and the tail of a long traceback
_CHUNK = 1 << 16
_GRACE_S = 2.0  # after a kill, for the sandbox's processes to be gone and its pipes closed
_MEMORY_ERROR = re.compile(r"^(MemoryError\b|.*\bstd::bad_alloc\b)", re.MULTILINE)
_ENV = {"PATH": bwrap.PATH, "HOME": bwrap.WORKDIR, "LANG": "C.UTF-8"}


class SandboxError(Exception):
    """The sandbox itself failed (bwrap refused to start, say): not the program's fault."""


@dataclass(frozen=True)
class Limits:
    """What one program may use; breaking a limit ends it with the matching status."""

    wall_s: float = 10.0
    cpu_s: float = 10.0  # rounded up to whole seconds (RLIMIT_CPU)
    memory_mb: int = 1024  # address space of each of its processes
    processes: int = 64  # processes and threads alive at once, the program's own included
    output_bytes: int = 1_000_000  # stdout and stderr together
    disk_mb: int = 64  # the writable /tmp: a tmpfs, so memory too; also the largest file


@dataclass(frozen=True)
class ProgramResult:
    """How a program ended. `exit_code` is negative for a signal, None when unknown."""

    status: Status
    exit_code: int | None
    stdout: str
    stderr: str  # cut to its head and tail past STDERR_KEPT characters
    wall_s: float
    cpu_s: float | None
    max_rss_kb: int | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def check_available(python: str = bwrap.SYSTEM_PYTHON) -> str | None:
    """None when programs can be sandboxed here; else one line saying how to fix it.

    Runs a trivial program in a real sandbox (about 30 ms): bwrap may be installed and still
    unusable, with user namespaces disabled for instance.
    """
    return bwrap.problem_with(bwrap.find_bwrap(), python)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Sandbox:
    """Runs programs in sandboxes, at most `parallel` at once (default: the CPUs we may use).

    One per process. `isolation="none"` runs programs unsandboxed (limits and the emptied
    environment still apply, nothing else): only when the caller asks for it by name and says
    so to the user.
    """

    def __init__(
        self,
        *,
        isolation: Isolation = "bwrap",
        parallel: int | None = None,
        python: str | None = None,
    ) -> None:
        if isolation not in ("bwrap", "none"):
            raise ValueError(f"isolation must be 'bwrap' or 'none', not {isolation!r}")
        self.isolation = isolation
        self.parallel = parallel or _cpu_count()
        self.python = python or (bwrap.SYSTEM_PYTHON if isolation == "bwrap" else sys.executable)
        self._bwrap = bwrap.find_bwrap() if isolation == "bwrap" else None
        if isolation == "bwrap" and self._bwrap is None:
            raise SandboxError(f"bubblewrap (bwrap) is not installed: {bwrap.INSTALL_HINT}")
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        """The bound on programs in flight, one per event loop (a semaphore belongs to one)."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.parallel))
        return self._slots[1]

    async def run(
        self,
        source: str,
        *,
        stdin: str = "",
        limits: Limits = Limits(),  # frozen: one shared default is safe
        files: dict[str, str] | None = None,
    ) -> ProgramResult:
        """Run Python `source` as ``main.py`` with `stdin`, beside `files` (relative paths)."""
        if MAIN in (files or {}):
            raise ValueError(f"{MAIN} is the program itself: pass it as `source`")
        named = {MAIN: source, **(files or {})}
        for name in named:
            parts = Path(name).parts
            if Path(name).is_absolute() or not parts or ".." in parts:
                raise ValueError(f"file names are relative paths inside the sandbox: {name!r}")
        async with self._semaphore():
            return await _Run(self, named, stdin.encode(), limits).run()


class _Run:
    """One program's run: its descriptors, process, output and the reason it was ended."""

    def __init__(self, sandbox: Sandbox, files: dict[str, str], stdin: bytes, limits: Limits):
        self.sandbox, self.files, self.stdin, self.limits = sandbox, files, stdin, limits
        self.cause: Status | None = None  # set when we end the program for breaking a limit
        self.process: asyncio.subprocess.Process | None = None
        self.init_pidfd: int | None = None
        self.stdout, self.stderr = bytearray(), bytearray()
        self.output = 0  # bytes read from both streams

    async def run(self) -> ProgramResult:
        workdir = None
        report_r, report_w = os.pipe()
        info_r, info_w = os.pipe()
        fds = [_memfd("stdin", self.stdin)]  # with the write ends: ours closed once spawned
        spawned = False
        try:
            if self.sandbox.isolation == "bwrap":
                argv, cwd, user = self._bwrap_argv(fds, info_w, report_w), "/", bwrap.host_user()
            else:
                workdir = tempfile.mkdtemp(prefix="llmeval-program-")
                for name, text in self.files.items():
                    Path(workdir, name).parent.mkdir(parents=True, exist_ok=True)
                    Path(workdir, name).write_text(text)
                argv, cwd, user = self._launcher_argv(report_w), workdir, None
                os.close(info_w)
                info_w = -1
            started = time.monotonic()
            try:
                self.process = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=fds[0],
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                    pass_fds=[fd for fd in (report_w, info_w, *fds[1:]) if fd >= 0],
                    env={} if workdir is None else {**_ENV, "HOME": workdir},
                    cwd=cwd,
                    start_new_session=True,
                    user=user,
                    group=user,
                    extra_groups=[] if user is not None else None,
                )
            finally:
                spawned = True
                for fd in (report_w, info_w, *fds):
                    if fd >= 0:
                        os.close(fd)
            await self._supervise(info_r)
            wall = time.monotonic() - started
            report = _read_all(report_r)
        finally:
            for fd in (report_r, info_r) if spawned else (report_r, info_r, report_w, info_w, *fds):
                if fd >= 0:
                    os.close(fd)
            if self.init_pidfd is not None:
                os.close(self.init_pidfd)
            if workdir is not None:
                shutil.rmtree(workdir, ignore_errors=True)
        return self._result(report, bytes(self.stdout), bytes(self.stderr), wall)

    def _launcher_argv(self, report_fd: int) -> list[str]:
        limits = self.limits
        numbers = (
            math.ceil(limits.cpu_s),
            limits.memory_mb << 20,
            limits.processes + 2,  # the sandbox's init and the launcher count too
            limits.disk_mb << 20,
        )
        python = self.sandbox.python
        return [python, "-E", "-s", "-B", "-c", LAUNCHER, str(report_fd), MAIN, *map(str, numbers)]

    def _bwrap_argv(self, fds: list[int], info_fd: int, report_fd: int) -> list[str]:
        """bwrap's command; the memfds it reads the files from are added to `fds`."""
        data = [(_memfd(path, text.encode()), path) for path, text in bwrap.etc_files().items()]
        files = [(_memfd(name, text.encode()), f"{bwrap.WORKDIR}/{name}") for name, text in
                 self.files.items()]  # fmt: skip
        fds += [fd for fd, _ in data + files]
        folders = sorted({str(parent) for name in self.files for parent in Path(name).parents})
        assert self.sandbox._bwrap is not None
        return bwrap.command(
            self.sandbox._bwrap,
            program=self._launcher_argv(report_fd),
            data_fds=data,
            file_fds=files,
            folders=[folder for folder in folders if folder != "."],
            info_fd=info_fd,
            disk_bytes=self.limits.disk_mb << 20,
        )

    async def _supervise(self, info_r: int) -> None:
        """Wait for the program under the wall-time and output limits; kill it on a breach."""
        assert self.process is not None and self.process.stdout and self.process.stderr
        watch = asyncio.gather(
            self._drain(self.process.stdout, self.stdout),
            self._drain(self.process.stderr, self.stderr),
            self._watch_init(info_r),
            self.process.wait(),
        )
        try:
            async with asyncio.timeout(self.limits.wall_s):
                await asyncio.shield(watch)
                return
        except TimeoutError:
            self._end("timeout")
        except asyncio.CancelledError:  # the caller gave up: the program must not live on
            self._end("timeout")
            with contextlib.suppress(BaseException):
                async with asyncio.timeout(_GRACE_S):
                    await watch
            raise
        try:
            async with asyncio.timeout(_GRACE_S):
                await watch
        except TimeoutError:
            # Only unsandboxed: a process that left the program's group still holds its output.
            # (In a sandbox every holder dies with the pid namespace.) Keep what was read.
            self._kill_group()
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            transport = getattr(self.process, "_transport", None)  # asyncio has no public close
            if transport is not None:
                transport.close()  # our ends of the pipes, now, not when the loop is gone

    async def _drain(self, stream: asyncio.StreamReader, kept: bytearray) -> None:
        """Read a stream to its end, keeping what fits in the output limit."""
        while chunk := await stream.read(_CHUNK):
            room = self.limits.output_bytes - self.output
            self.output += len(chunk)
            kept += chunk[: max(room, 0)]
            if self.output > self.limits.output_bytes:
                self._end("output_limit")

    async def _watch_init(self, info_r: int) -> None:
        """Hold the sandbox's init (its pid from bwrap's info) and wait until it has exited.

        Its exit comes after the kernel has killed every other process of its pid namespace,
        so when this returns, nothing of the program is left, whichever way it ended.
        """
        if self.sandbox.isolation != "bwrap":
            return
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(info_r), "rb")
        )
        try:
            info = await reader.read()
        finally:
            transport.close()
        try:
            self.init_pidfd = os.pidfd_open(int(json.loads(info)["child-pid"]))
        except (ValueError, KeyError, OSError):
            return  # bwrap failed before starting it, or it is already gone
        if self.cause is not None:  # a limit broke before we knew whom to kill
            self._end(self.cause)
        exited = loop.create_future()
        loop.add_reader(self.init_pidfd, lambda: exited.done() or exited.set_result(None))
        try:
            await exited
        finally:
            loop.remove_reader(self.init_pidfd)

    def _end(self, cause: Status) -> None:
        """Kill the sandbox: its init (the kernel then kills the whole pid namespace) first."""
        self.cause = self.cause or cause
        if self.init_pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.init_pidfd, signal.SIGKILL)
            return  # bwrap reaps init, after which the namespace is empty, and exits
        self._kill_group()

    def _kill_group(self) -> None:
        """Kill bwrap itself (its init follows: --die-with-parent), or the unsandboxed program."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def _result(self, report: bytes, stdout: bytes, stderr: bytes, wall: float) -> ProgramResult:
        lines = report.decode(errors="replace").splitlines()
        err = stderr.decode(errors="replace")
        if "started" not in lines and self.cause is None:
            raise SandboxError(f"the sandbox did not start: {err.strip()[-500:]}")
        exit_code = cpu = rss = None
        if lines and lines[-1].startswith("exit "):
            _, status, cpu_text, rss_text = lines[-1].split()
            exit_code = os.waitstatus_to_exitcode(int(status))
            cpu, rss = float(cpu_text), int(rss_text)
        status: Status
        if self.cause is not None:
            status = self.cause
        elif exit_code == -signal.SIGXCPU or (
            exit_code == -signal.SIGKILL and (cpu or 0) >= 0.8 * math.ceil(self.limits.cpu_s)
        ):
            status = "timeout"  # its CPU time ran out (the hard limit kills a second later;
            # rusage can read a little under the limit the kernel's tick-based check saw)
        elif exit_code == 0:
            status = "ok"
        elif _MEMORY_ERROR.search(err[-2000:]):
            status = "memory"
        else:
            status = "failed"
        return ProgramResult(
            status=status,
            exit_code=exit_code,
            stdout=stdout.decode(errors="replace"),
            stderr=_cut(err),
            wall_s=wall,
            cpu_s=cpu,
            max_rss_kb=rss,
        )


def _memfd(name: str, data: bytes) -> int:
    """An anonymous in-memory file holding `data`, read from its start (no disk, no cleanup)."""
    fd = os.memfd_create(name.replace("/", "_"), os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_all(fd: int) -> bytes:
    """What is left in a pipe whose writers have all exited: never blocks."""
    os.set_blocking(fd, False)
    chunks = []
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(fd, _CHUNK):
            chunks.append(chunk)
    return b"".join(chunks)


def _cut(text: str) -> str:
    if len(text) <= STDERR_KEPT:
        return text
    head, tail = STDERR_KEPT // 4, STDERR_KEPT * 3 // 4
    return f"{text[:head]}\n[... {len(text) - head - tail} characters cut ...]\n{text[-tail:]}"
