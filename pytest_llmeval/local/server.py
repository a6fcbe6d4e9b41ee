"""Run llama.cpp's llama-server for the length of an evaluation (``--llm-serve``).

The server gets its own process group so that stopping it also stops anything it spawned, and it
is stopped at interpreter exit (and, on Linux, when the parent dies) so a Ctrl-C or a crash does
not leave a 2-core machine busy with an orphaned model.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, NoReturn, Self

import pytest

from ..config import Option, positive_int
from .presets import (
    PRESETS,
    SETUP_COMMAND,
    NotSetUpError,
    cache_dir,
    is_binary_ready,
    is_model_ready,
    model_path,
    server_binary_path,
    template_path,
)

LOG_TAIL_LINES = 15
POLL_INTERVAL_SECONDS = 0.2
STOP_GRACE_SECONDS = 5.0


class ServerStartError(RuntimeError):
    """llama-server did not come up; the message is one line plus the tail of its log."""


@dataclass(frozen=True)
class ServerSettings:
    """How to run llama-server. ``port=0`` picks a free port at start; a relative
    ``log_path`` is taken inside the run folder."""

    model_path: Path
    binary: Path
    log_path: Path
    template: Path | None = None
    slots: int = 4
    context: int = 16384
    threads: int = 2
    host: str = "127.0.0.1"
    port: int = 0
    extra_args: tuple[str, ...] = ()
    startup_timeout: float = 120.0
    name: str = ""
    """The preset or file the user named (the model name sent when none is given)."""


def server_command(settings: ServerSettings, port: int) -> list[str]:
    """The llama-server command line (``context`` is the total, shared by the slots)."""
    command = [
        str(settings.binary),
        "-m",
        str(settings.model_path),
        "--host",
        settings.host,
        "--port",
        str(port),
        "--jinja",
        "-np",
        str(settings.slots),
        "-c",
        str(settings.context),
        "-t",
        str(settings.threads),
        "--no-webui",
    ]
    if settings.template is not None:
        command += ["--chat-template-file", str(settings.template)]
    return command + list(settings.extra_args)


def server_env() -> dict[str, str]:
    """Our environment plus passive OpenMP waiting.

    With llama.cpp's default spinning worker threads and another busy process on the same two
    cores, decoding was measured 10-20x slower.
    """
    return {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}


def free_port(host: str) -> int:
    """A port that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class LlamaServer:
    """A llama-server process: ``with LlamaServer(settings) as server: ... server.base_url``."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, e.g. ``http://127.0.0.1:PORT/v1``."""
        if self._port is None:
            raise RuntimeError("LlamaServer.base_url used before start()")
        return f"http://{self.settings.host}:{self._port}/v1"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> Self:
        """Launch the server and return once it answers ``GET /v1/models``."""
        if self._process is not None:
            raise RuntimeError("LlamaServer.start() called twice")
        self._require_files()
        port = self._port = self.settings.port or free_port(self.settings.host)
        self.settings.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.settings.log_path.open("wb") as log:
            process = self._process = self._launch(log, port)
        atexit.register(self.stop)
        try:
            self._wait_until_ready(process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate the server's process group: SIGTERM, then SIGKILL after a grace period."""
        process = self._process
        if process is None:
            return
        atexit.unregister(self.stop)
        if process.poll() is None:
            signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                signal_group(process.pid, signal.SIGKILL)
                process.wait()
        self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _require_files(self) -> None:
        for what, path in (
            ("llama-server binary", self.settings.binary),
            ("model", self.settings.model_path),
        ):
            if not path.is_file():
                raise ServerStartError(f"{what} not found: {path} (run: {SETUP_COMMAND})")

    def _launch(self, log: IO[bytes], port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*parent_death_prefix(), *server_command(self.settings, port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_env(),
            start_new_session=True,
        )

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.settings.startup_timeout
        while time.monotonic() < deadline:
            exit_code = process.poll()
            if exit_code is not None:
                self._fail(f"llama-server exited with code {exit_code} before it was ready")
            if answers(f"{self.base_url}/models"):
                return
            time.sleep(POLL_INTERVAL_SECONDS)
        self._fail(
            f"llama-server did not answer GET /v1/models within {self.settings.startup_timeout:g} s"
        )

    def _fail(self, reason: str) -> NoReturn:
        self.stop()
        log_path = self.settings.log_path
        tail = "".join(log_tail(log_path, LOG_TAIL_LINES))
        raise ServerStartError(f"{reason} (log: {log_path}); last lines of the log:\n{tail}")


def answers(url: str) -> bool:
    """True if ``url`` answers 200 now (503 while the model loads counts as not yet)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def signal_group(pid: int, signum: signal.Signals) -> None:
    """Signal the process group led by ``pid``; it may already be gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def parent_death_prefix() -> list[str]:
    """``setpriv --pdeathsig TERM --`` where available: Linux then stops the server when its
    parent dies even by SIGKILL, when atexit cannot run.

    The signal follows the parent *thread*, so start the server from a thread that lives as long
    as the server should (pytest's main thread does).
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


def log_tail(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines of a log file (empty if there is none)."""
    try:
        with path.open(errors="replace") as log:
            return list(deque(log, maxlen=lines))
    except FileNotFoundError:
        return []


def resolve_model(spec: str) -> Path:
    """A ``.gguf`` path, or a preset name looked up in the setup cache."""
    if spec.endswith(".gguf"):
        path = Path(spec).expanduser()
        if not path.is_file():
            raise NotSetUpError(f"model file not found: {path}")
        return path
    preset = PRESETS.get(spec)
    if preset is None:
        known = ", ".join(PRESETS)
        raise NotSetUpError(f"unknown model {spec!r}: give a .gguf path or a preset ({known})")
    cache = cache_dir()
    if not is_model_ready(preset, cache):
        raise NotSetUpError(
            f"model {spec} is not set up in {cache}; run: {SETUP_COMMAND} --model {spec}"
        )
    return model_path(preset, cache)


def resolve_template(spec: str) -> Path | None:
    """Our chat template for a preset (structured tool calls); None for a plain ``.gguf`` path."""
    preset = PRESETS.get(spec)
    return template_path(preset) if preset is not None else None


def resolve_binary() -> Path:
    """The llama-server built by setup_local, or a one-line error saying how to build it."""
    cache = cache_dir()
    binary = server_binary_path(cache)
    if not is_binary_ready(binary):
        raise NotSetUpError(f"llama-server is not built in {cache}; run: {SETUP_COMMAND}")
    return binary


SERVE_OPTIONS: tuple[Option, ...] = (
    Option("--llm-serve", "serve a local GGUF (path or preset) with llama-server for the session"),
    Option("--llm-serve-slots", "llama-server parallel slots", default="4", parse=positive_int),
    Option("--llm-serve-context", "llama-server context (all slots)", default="32768"),
    Option("--llm-serve-threads", "llama-server threads", default="2", parse=positive_int),
    Option("--llm-serve-template", "chat template file for llama-server"),
    Option("--llm-serve-judge", "also use the local server as the judge", kind="bool"),
)
"""The local model's own options (read by config.build_run_config)."""


def serve_settings(raw: dict[str, object]) -> ServerSettings | None:
    """The server asked for with --llm-serve, its files resolved: a model that is not set up
    is one line before anything starts."""
    spec = raw["llm_serve"]
    if not spec:
        return None
    spec = str(spec)
    context = positive_int(raw["llm_serve_context"], "--llm-serve-context")
    if context < 512:
        raise pytest.UsageError(f"--llm-serve-context: must be >= 512, got {context}")
    try:
        template = raw["llm_serve_template"]
        return ServerSettings(
            model_path=resolve_model(spec),
            binary=resolve_binary(),
            log_path=Path("llama-server.log"),
            template=Path(str(template)) if template else resolve_template(spec),
            slots=positive_int(raw["llm_serve_slots"], "--llm-serve-slots"),
            context=context,
            threads=positive_int(raw["llm_serve_threads"], "--llm-serve-threads"),
            name=spec,
        )
    except NotSetUpError as error:
        raise pytest.UsageError(f"--llm-serve: {error}") from None
