"""Running model-written programs: the one place the project executes untrusted input.

Every program runs in a fresh bubblewrap sandbox (no network, a read-only system, a private
tmpfs, nothing of the checkout, the cache, the home folder or the environment) under limits on
wall and CPU time, memory, processes, output and disk. There is no unsandboxed fallback: where
bwrap cannot work, `check_available()` says how to fix it, and only a caller that asks for
``Sandbox(isolation="none")`` by name runs programs bare.

    sandbox = Sandbox()
    result = await sandbox.run("print(int(input()) * 2)", stdin="21")
    assert result.status == "ok" and result.stdout == "42\\n"
"""

from pytest_llmeval.sandbox.runner import (
    Limits,
    ProgramResult,
    Sandbox,
    SandboxError,
    Status,
    check_available,
)

__all__ = ["Limits", "ProgramResult", "Sandbox", "SandboxError", "Status", "check_available"]
