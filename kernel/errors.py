"""Errors a command can end in. The HTTP layer turns each into problem details with its status."""


class DomainError(Exception):
    """A business rule refused the command. `field` names the input at fault, when there is one."""

    status = 422
    title = "The request breaks a business rule"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or type(self).__name__


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The command cannot apply to the current state (e.g. deleting a category still in use)."""

    status = 409
    title = "Conflict with the current state"


class ConcurrencyConflict(Conflict):
    """Someone else appended to the stream first; reload and retry, or give up."""

    title = "Concurrent modification"
