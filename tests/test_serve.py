"""llama-server lifecycle: unit tests with stand-in binaries, and a few against the real server.

The real-server tests need ``python -m pytest_llmeval.local.setup`` to have been run (the built
llama-server and the 0.5B model in the setup cache); without it they are skipped.
"""

from __future__ import annotations

import json
import socket
import stat
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_llmeval.local.presets import DEFAULT_PRESET, NotSetUpError
from pytest_llmeval.local.server import (
    LlamaServer,
    ServerSettings,
    ServerStartError,
    resolve_binary,
    resolve_model,
    resolve_template,
    server_command,
    server_env,
)

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
        },
    },
}


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def port_is_free(port: int) -> bool:
    """Nothing listens there any more (SO_REUSEADDR: leftover TIME_WAIT connections don't count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
        return True


def process_is_gone(pid: int, wait_seconds: float = 3.0) -> bool:
    """True once ``pid`` no longer runs (a zombie awaiting its reaper counts as gone)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def write_script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def settings_for(binary: Path, model: Path, tmp_path: Path, **overrides: Any) -> ServerSettings:
    return ServerSettings(
        model_path=model, binary=binary, log_path=tmp_path / "server.log", **overrides
    )


# --- unit tests: no llama-server needed ----------------------------------------------------


def test_command_line_has_every_setting(tmp_path: Path) -> None:
    settings = settings_for(
        Path("/opt/llama-server"),
        Path("/models/m.gguf"),
        tmp_path,
        template=Path("/t/tools.jinja"),
        slots=3,
        context=8192,
        threads=1,
        extra_args=("--seed", "7"),
    )

    assert server_command(settings, 8123) == [
        "/opt/llama-server",
        "-m",
        "/models/m.gguf",
        "--host",
        "127.0.0.1",
        "--port",
        "8123",
        "--jinja",
        "-np",
        "3",
        "-c",
        "8192",
        "-t",
        "1",
        "--no-webui",
        "--chat-template-file",
        "/t/tools.jinja",
        "--seed",
        "7",
    ]


def test_command_line_without_template_uses_the_models_own(tmp_path: Path) -> None:
    settings = settings_for(Path("/opt/llama-server"), Path("/models/m.gguf"), tmp_path)

    assert "--chat-template-file" not in server_command(settings, 8123)


def test_env_asks_openmp_to_wait_passively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    monkeypatch.setenv("SOME_USER_SETTING", "kept")

    env = server_env()

    assert env["OMP_WAIT_POLICY"] == "PASSIVE"
    assert env["SOME_USER_SETTING"] == "kept"


def test_launched_process_gets_env_and_arguments(tmp_path: Path) -> None:
    """A stand-in binary reports what it was started with, then exits before being ready."""
    binary = write_script(tmp_path / "fake-server", 'echo "OMP=$OMP_WAIT_POLICY args=$*"; exit 3')
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")

    with pytest.raises(ServerStartError) as excinfo:
        LlamaServer(settings_for(binary, model, tmp_path, port=8123)).start()

    message = str(excinfo.value)
    assert message.splitlines()[0].startswith("llama-server exited with code 3 before it was ready")
    assert "OMP=PASSIVE" in message
    assert f"args=-m {model} --host 127.0.0.1 --port 8123 --jinja" in message


def test_server_that_never_answers_times_out_and_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    binary = write_script(tmp_path / "fake-server", f"sleep 60 & echo $! > {pid_file}; wait")
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    server = LlamaServer(settings_for(binary, model, tmp_path, startup_timeout=1.0))

    with pytest.raises(ServerStartError, match=r"did not answer GET /v1/models within 1 s"):
        server.start()

    assert server.pid is None
    assert process_is_gone(int(pid_file.read_text()))  # the whole process group was stopped


def test_missing_binary_is_one_clear_line(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")

    with pytest.raises(ServerStartError) as excinfo:
        LlamaServer(settings_for(tmp_path / "nope", model, tmp_path)).start()

    assert len(str(excinfo.value).splitlines()) == 1
    assert "llama-server binary not found" in str(excinfo.value)


def test_base_url_before_start_is_an_error(tmp_path: Path) -> None:
    server = LlamaServer(settings_for(Path("/bin/true"), Path("/m.gguf"), tmp_path))

    with pytest.raises(RuntimeError, match="before start"):
        _ = server.base_url


def test_resolve_model_accepts_an_existing_gguf_path(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(b"GGUF")

    assert resolve_model(str(model)) == model


def test_resolve_model_missing_gguf_path(tmp_path: Path) -> None:
    with pytest.raises(NotSetUpError, match="model file not found"):
        resolve_model(str(tmp_path / "missing.gguf"))


def test_resolve_model_unknown_name_lists_presets() -> None:
    with pytest.raises(NotSetUpError, match=r"unknown model 'gpt-9'.*qwen2\.5-coder-0\.5b"):
        resolve_model("gpt-9")


def test_resolve_model_preset_not_set_up_says_how_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_LLMEVAL_CACHE", str(tmp_path))

    with pytest.raises(NotSetUpError) as excinfo:
        resolve_model("qwen2.5-coder-1.5b")

    assert "python -m pytest_llmeval.local.setup --model qwen2.5-coder-1.5b" in str(excinfo.value)


def test_resolve_binary_not_built_says_how_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_LLMEVAL_CACHE", str(tmp_path))

    with pytest.raises(NotSetUpError, match=r"run: python -m pytest_llmeval\.local\.setup"):
        resolve_binary()


def test_presets_come_with_our_tool_call_template() -> None:
    template = resolve_template(DEFAULT_PRESET)

    assert template is not None
    assert template.is_file()
    assert resolve_template("/models/other.gguf") is None


# --- against the real llama-server and the 0.5B model ---------------------------------------


@pytest.fixture(scope="module")
def real_setup() -> tuple[Path, Path]:
    """(binary, model) from the setup cache, or skip with the one-line reason."""
    try:
        return resolve_binary(), resolve_model(DEFAULT_PRESET)
    except NotSetUpError as error:
        pytest.skip(f"local model not set up: {error}")


@pytest.fixture(scope="module")
def served(
    real_setup: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaServer]:
    binary, model = real_setup
    log_dir = tmp_path_factory.mktemp("served")
    settings = settings_for(
        binary, model, log_dir, template=resolve_template(DEFAULT_PRESET), slots=2, context=4096
    )
    with LlamaServer(settings) as server:
        yield server


def test_real_server_lists_its_model(served: LlamaServer) -> None:
    models = get_json(f"{served.base_url}/models")

    assert models["data"][0]["id"]


def test_real_server_answers_a_chat_in_text(served: LlamaServer) -> None:
    reply = post_json(
        f"{served.base_url}/chat/completions",
        {
            "model": "local",
            "messages": [{"role": "user", "content": "Say hello in one word."}],
            "max_tokens": 8,
            "temperature": 0,
        },
    )

    assert reply["choices"][0]["message"]["content"].strip()


def test_real_server_returns_a_structured_tool_call(served: LlamaServer) -> None:
    reply = post_json(
        f"{served.base_url}/chat/completions",
        {
            "model": "local",
            "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
            "tools": [WEATHER_TOOL],
            "max_tokens": 48,
            "temperature": 0,
        },
    )

    choice = reply["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    [call] = choice["message"]["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}


def test_real_server_stop_ends_process_and_frees_port(
    real_setup: tuple[Path, Path], tmp_path: Path
) -> None:
    binary, model = real_setup
    server = LlamaServer(settings_for(binary, model, tmp_path, slots=1, context=1024))

    with server:
        pid = server.pid
        port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
        assert get_json(f"{server.base_url}/models")["data"]

    assert pid is not None
    assert process_is_gone(pid)
    assert port_is_free(port)


def test_real_server_rejects_a_bad_model_with_its_log_tail(
    real_setup: tuple[Path, Path], tmp_path: Path
) -> None:
    binary, _ = real_setup
    bad_model = tmp_path / "not-a-model.gguf"
    bad_model.write_bytes(b"this is not a GGUF file" * 100)

    with pytest.raises(ServerStartError) as excinfo:
        LlamaServer(settings_for(binary, bad_model, tmp_path)).start()

    first_line, *log_lines = str(excinfo.value).splitlines()
    assert first_line.startswith("llama-server exited with code")
    assert str(tmp_path / "server.log") in first_line
    assert 0 < len(log_lines) <= 15
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__context__ is None
