"""At session start, on the controller: serve the local model if asked, then check once that
every endpoint answers, so that a wrong URL or key is one line, not 4,000 failed samples.
Of several base URLs for one model, those that do not answer are left out with a warning."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from .config import Endpoint, RunConfig
from .redact import Redactor

SERVER = pytest.StashKey[object]()
PROBE_TIMEOUT_S = 10.0


def start_services(
    config: pytest.Config, run: RunConfig, run_dir: Path
) -> tuple[RunConfig, list[str]]:
    """The run config with the endpoints settled (a served model's URL filled in, the base
    URLs that do not answer left out), and a warning line for each one left out."""
    if run.serve is not None:
        run = _serve(config, run, run_dir)
    endpoint, left_out = settle(run.endpoint, "model")
    judge = run.judge
    if judge.model:
        judge, judge_left_out = settle(judge, "judge")
        left_out += judge_left_out
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    for line in left_out:
        if reporter is not None:
            reporter.write_line(f"pytest-llmeval WARNING: {line}", yellow=True, bold=True)
    return replace(run, endpoint=endpoint, judge=judge), left_out


def settle(endpoint: Endpoint, role: str) -> tuple[Endpoint, list[str]]:
    """The endpoint at the base URLs that answer, and a line for each one left out; none
    answering is the usage error of the first. The cache scope stays that of all of them, so
    a rerun with every replica up reads what this run wrote."""
    if len(endpoint.base_urls) < 2:
        problem = check(endpoint, role)
        if problem:
            raise pytest.UsageError(problem)
        return endpoint, []
    urls = endpoint.base_urls
    with ThreadPoolExecutor(len(urls)) as pool:
        problems = list(pool.map(lambda url: check(endpoint.at(url), role), urls))
    live = [url for url, problem in zip(urls, problems) if problem is None]
    if not live:
        raise pytest.UsageError(f"{problems[0]} (and at the other {len(urls) - 1} base URLs)")
    others = f"the run goes on with the other {len(live)}"
    left_out = [f"{problem}; left out, {others}" for problem in problems if problem]
    settled = replace(endpoint, base_url=live[0], replicas=tuple(live[1:]))
    return replace(settled, scope=endpoint.cache_scope), left_out


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
    served = {"base_url": server.base_url, "replicas": (), "scope": scope}
    endpoint = replace(run.endpoint, model=model, **served)
    judge = run.judge
    if run.serve_judge:
        judge = replace(judge, model=judge.model or model, **served)
    return replace(run, endpoint=endpoint, judge=judge)


def stop_services(config: pytest.Config) -> None:
    server = config.stash.get(SERVER, None)
    if server is not None:
        server.stop()


def check(endpoint: Endpoint, role: str) -> str | None:
    """GET /models: why the server cannot serve (unreachable, not HTTP), or None; a rejected
    key stops the run at once. Other answers are fine (some servers lack /models)."""
    base = (endpoint.base_url or "https://api.openai.com/v1").rstrip("/")
    request = urllib.request.Request(f"{base}/models")
    if endpoint.api_key:
        request.add_header("Authorization", f"Bearer {endpoint.api_key}")
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S):
            return None
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            detail = Redactor([endpoint.api_key]).text(_error_detail(error))
            suffix = f": {detail}" if detail else ""
            raise pytest.UsageError(
                f"{role} server {base} rejected the API key (HTTP {error.code}{suffix})"
            ) from None
        return None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return f"cannot reach the {role} server at {base}: {reason}"
    except http.client.HTTPException as error:  # it answered, but not in HTTP
        return f"the {role} server at {base} does not speak HTTP ({type(error).__name__})"


def _error_detail(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        return ""
    detail = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(detail, dict):
        detail = detail.get("message", "")
    return str(detail).splitlines()[0][:200] if detail else ""
