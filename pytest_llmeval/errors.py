"""Failures of one sample's calls: recorded on that sample, never a crash of the run.

Kept apart from the client so that importing them does not import the HTTP stack.
"""


class ServiceError(Exception):
    """A call that still failed after its retries; its message is one line for the report."""

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts


class JudgeError(Exception):
    """The judge's reply could not be turned into a grade (after bounded retries)."""


class HarnessError(Exception):
    """A tool of the harness failed on one sample (the sandbox could not start, say): that
    sample's error, counted in Errors, not the model's wrong answer."""

    def __init__(self, message: str, *, kind: str = "harness") -> None:
        super().__init__(message)
        self.kind = kind
