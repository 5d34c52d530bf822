"""Errors of the sales domain that the API shows the same way wherever they arise."""

from kernel.errors import DomainError


class NeedsManager(DomainError):
    """Above a cashier's limit (a discount, a refund): one status and one problem type
    (`.../needs-manager`) everywhere, so a till has one way to ask for a manager's approval
    (`POST /api/v1/sales/approvals/`, then the request again with `X-Manager-Approval`)."""

    status = 403
    title = "Needs a manager's approval"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message, field=field, code="NeedsManager")
