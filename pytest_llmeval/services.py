"""At session start, on the controller: serve the local model if asked, then check once that
every endpoint answers, so that a wrong URL or key is one line, not 4,000 failed samples."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from .config import Endpoint, RunConfig
from .redact import Redactor

SERVER = pytest.StashKey[object]()
PROBE_TIMEOUT_S = 10.0


def start_services(config: pytest.Config, run: RunConfig, run_dir: Path) -> RunConfig:
    """The run config with the endpoints settled (a served model's URL filled in), all probed."""
    if run.serve is not None:
        run = _serve(config, run, run_dir)
    probe(run.endpoint, "model")
    if run.judge.model:
        probe(run.judge, "judge")
    return run


def _serve(config: pytest.Config, run: RunConfig, run_dir: Path) -> RunConfig:
    from .local.server import LlamaServer, ServerStartError

    assert run.serve is not None
    server = LlamaServer(replace(run.serve, log_path=run_dir / run.serve.log_path))
    config.stash[SERVER] = server
    try:
        server.start()
    except ServerStartError as error:
        raise pytest.UsageError(f"--llm-serve: {error}") from None
    model = run.endpoint.model or run.serve.name
    scope = f"llama-server/{run.serve.model_path.name}"  # not its port: a rerun resumes
    endpoint = replace(run.endpoint, model=model, base_url=server.base_url, scope=scope)
    judge = run.judge
    if run.serve_judge:
        judge = replace(judge, model=judge.model or model, base_url=server.base_url, scope=scope)
    return replace(run, endpoint=endpoint, judge=judge)


def stop_services(config: pytest.Config) -> None:
    server = config.stash.get(SERVER, None)
    if server is not None:
        server.stop()


def probe(endpoint: Endpoint, role: str) -> None:
    """GET /models: unreachable or a rejected key stops the run; other answers are fine
    (some servers do not implement /models)."""
    base = (endpoint.base_url or "https://api.openai.com/v1").rstrip("/")
    request = urllib.request.Request(f"{base}/models")
    if endpoint.api_key:
        request.add_header("Authorization", f"Bearer {endpoint.api_key}")
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S):
            return
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            detail = Redactor([endpoint.api_key]).text(_error_detail(error))
            suffix = f": {detail}" if detail else ""
            raise pytest.UsageError(
                f"{role} server {base} rejected the API key (HTTP {error.code}{suffix})"
            ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise pytest.UsageError(f"cannot reach the {role} server at {base}: {reason}") from None
    except http.client.HTTPException as error:  # it answered, but not in HTTP
        raise pytest.UsageError(
            f"the {role} server at {base} does not speak HTTP ({type(error).__name__})"
        ) from None


def _error_detail(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        return ""
    detail = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(detail, dict):
        detail = detail.get("message", "")
    return str(detail).splitlines()[0][:200] if detail else ""
