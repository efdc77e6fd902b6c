"""Domain errors: what a service raises when a request breaks a business rule.

Interfaces turn them into a form error, an HTTP 400/409 with the message, or
a CLI error on stderr with exit code 2. The message is shown to the user, so it
is translatable and says what to do.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request that breaks a business rule; nothing was changed."""

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code


class InvalidInput(DomainError):
    """The input itself is malformed or out of range."""


class NotPermitted(DomainError):
    """The user's role does not allow this action."""

    status_code = 403

    def __init__(self, message: str, *, code: str = "forbidden") -> None:
        super().__init__(message, code=code)


class InvalidTransition(DomainError):
    """A status move that the workflow table does not allow from the current state."""

    status_code = 409

    def __init__(self, message: str, *, code: str = "invalid_transition") -> None:
        super().__init__(message, code=code)


class Conflict(DomainError):
    """Someone else changed the object since it was read (a stale save)."""

    status_code = 409

    def __init__(self, message: str, *, code: str = "conflict") -> None:
        super().__init__(message, code=code)
