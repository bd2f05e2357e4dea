"""How the LLM engine tells the provider's failures from its own.

Every failure while talking to the provider (HTTP errors, timeouts, refused connections,
unreadable streams) becomes a ProviderError, which the engine retries once and then answers
in basic mode. A callback of ours that runs inside the provider call (the typing indicator) is
different: its failure is ours, so it is marked (OwnFailure) and re-raised as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable

RETRYABLE_STATUS = {408, 409, 429}


class ProviderError(Exception):
    """The provider failed: HTTP error, timeout, refused connection or a reply we cannot read."""

    def __init__(
        self,
        message: str,
        *,
        streamed: bool = False,
        retryable: bool = True,
        status: int = 0,
        late: bool = False,
    ):
        super().__init__(message)
        self.streamed = streamed  # the visitor already saw part of this round's text
        self.late = late  # the turn's deadline passed: never retried
        self.retryable = retryable and not late
        self.status = status  # the HTTP status, when the provider answered with one


class OwnFailure(Exception):
    """A callback of ours failed inside the provider call (the real error is __cause__)."""


def unwrap(failure: BaseException) -> BaseException:
    """The error of ours inside an OwnFailure (which may have been wrapped once more)."""
    while isinstance(failure, OwnFailure) and failure.__cause__ is not None:
        failure = failure.__cause__
    return failure


def own(callback: Callable[[], None]) -> Callable[[], None]:
    """`callback`, with its failures marked as ours so they are not taken for the provider's."""

    def call() -> None:
        try:
            callback()
        except Exception as exc:
            raise OwnFailure() from exc

    return call


def as_provider_error(exc: Exception, *, streamed: bool) -> ProviderError:
    """Any failure of the provider call as a ProviderError (retryable unless a 4xx says no)."""
    status = getattr(exc, "status_code", None)
    retryable = status is None or status >= 500 or status in RETRYABLE_STATUS
    label = f"HTTP {status}" if status else type(exc).__name__
    return ProviderError(
        f"{label}: {exc}"[:500], streamed=streamed, retryable=retryable, status=status or 0
    )


def check_deadline(deadline: float | None, *, streamed: bool) -> None:
    """Raise a (late, never retried) ProviderError once the turn's deadline has passed."""
    if deadline is not None and time.monotonic() >= deadline:
        raise ProviderError("the turn's deadline passed", streamed=streamed, late=True)
