"""Request examples of the main till writes, shown in the OpenAPI document (Swagger UI)."""

from drf_spectacular.utils import OpenApiExample

TILL = "6f1c2a0e-3b7d-4c55-9a51-2d0f4f6b9a10"

SPLIT_PAYMENT_SALE = OpenApiExample(
    "Till sale paid part by card, part in cash", request_only=True,
    description="Two lines, one discounted; 20.00 on card and the rest in cash (cash may exceed what is "
                "owed: the change is in the answer). Send with an Idempotency-Key; on a lost answer, resend "
                "the same body with the same key.",
    value={"till_id": TILL,
           "lines": [{"product_id": "0b9e8a52-7c1d-4e0f-8d35-1a2b3c4d5e6f", "quantity": 2},
                     {"product_id": "7d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", "quantity": 1, "discount_percent": "5"}],
           "payments": [{"method": "card", "amount": "20.00"}, {"method": "cash", "amount": "10.00"}]})

REFUND = OpenApiExample(
    "Refund one unit of line 1 the way it was paid", request_only=True,
    description="`refund_id` is chosen by the till: a retry with it refunds once. Above the cashier's limit "
                "the answer is 403 needs-manager; resend with X-Manager-Approval.",
    value={"refund_id": "c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f", "lines": [{"line_no": 1, "quantity": 1}],
           "method": "original", "reason": "Damaged", "till_id": TILL})

SESSION_CLOSE = OpenApiExample(
    "Close with the counted drawer and the card terminal's total", request_only=True,
    description="The answer carries the Z-report. While sales are unfinished the answer is 409 "
                "unfinished-sales, unless `void_unfinished` is true.",
    value={"counted": {"cash": "412.50", "card": "1288.40"}, "void_unfinished": False})
