"""The registry of problem types: every `type` the API answers with, and what its page says.

Problem answers (infrastructure/http/problems.py) take their `type` from here and the pages at
/api/problems/<name>/ are rendered from here, so a type and its documentation cannot drift apart;
tests/unit/test_problem_types.py fails when code raises a code that has no entry.
"""

from dataclasses import dataclass

from django.core.exceptions import DisallowedHost

PROBLEMS_PATH = "/api/problems/"


@dataclass(frozen=True)
class ProblemType:
    name: str  # kebab-case, the last segment of the type URI
    status: int
    title: str
    happened: str
    why: str
    todo: str

    @property
    def path(self) -> str:
        return f"{PROBLEMS_PATH}{self.name}/"


def type_uri(name: str, request=None) -> str:
    """Absolute when the request is known (RFC 9457 §3.1.1 recommends absolute URIs, and one built
    from the request resolves through whatever host and scheme the client used); else the path, a
    relative reference RFC 9457 allows, as also for a request whose Host is not allowed."""
    path = f"{PROBLEMS_PATH}{name}/"
    if request is None:
        return path
    try:
        return request.build_absolute_uri(path)
    except DisallowedHost:
        return path


RETRY_SAME_KEY = "Retry the same request with the same Idempotency-Key: a write is applied at most once."
RELOAD = "Read the resource again, then decide whether the change still makes sense."

_TYPES = [
    # --- HTTP level ---------------------------------------------------------------------------------
    ProblemType("validation-error", 400, "Invalid input",
                "A field of the request is missing, malformed or out of range.",
                "The request did not match the operation's schema; nothing was changed.",
                "Fix the fields named in `errors` (each has `field` and `message`) and send again."),
    ProblemType("parse-error", 400, "Malformed request body",
                "The body could not be parsed (not JSON, nested too deep, invalid Unicode).",
                "Only well-formed JSON is accepted; nothing was changed.",
                "Send a valid JSON body with Content-Type: application/json."),
    ProblemType("bad-request", 400, "Bad request",
                "The request could not be understood.", "It failed before reaching an operation.",
                "Check the URL, headers and body against /api/schema/."),
    ProblemType("not-authenticated", 401, "Not authenticated",
                "No credentials came with the request.", "Every API operation but login needs a token.",
                "Log in at /api/v1/auth/token/ and send `Authorization: Bearer <access>`."),
    ProblemType("authentication-failed", 401, "Authentication failed",
                "The credentials or token were not accepted (wrong password, expired or revoked token).",
                "Access tokens are short-lived; logout revokes the refresh token.",
                "Refresh the access token at /api/v1/auth/token/refresh/, or log in again."),
    ProblemType("token-not-valid", 401, "Token not valid",
                "The token is expired, revoked or not a token of this server.",
                "Access tokens are short-lived; a refresh token is revoked by logout and used once.",
                "Refresh at /api/v1/auth/token/refresh/; if that is refused too, log in again."),
    ProblemType("permission-denied", 403, "Permission denied",
                "Your role may not perform this operation.", "Each operation is allowed to some roles only.",
                "Ask someone whose role allows it (a manager, head office)."),
    ProblemType("forbidden", 403, "Forbidden", "The request was refused.",
                "It failed a permission check before reaching an operation.", "Check your role and token."),
    ProblemType("store-out-of-scope", 403, "Store out of your scope",
                "The resource belongs to a store you do not work in.",
                "Staff see and change only the stores they are assigned to.",
                "Use a store you are assigned to, or ask head office."),
    ProblemType("head-office-only", 403, "Head office only",
                "Only head office may do this.", "It spans stores or changes who works where.",
                "Ask a head-office user."),
    ProblemType("till-token-required", 403, "Till-bound token required",
                "Selling needs a token bound to a till.", "Sales are recorded per till and session.",
                "Log in with `till_id` at /api/v1/auth/token/ and use that token."),
    ProblemType("till-mismatch", 403, "Another till's resource",
                "Your token is bound to another till than the one this request names.",
                "A till only sells and closes on its own session.",
                "Use the till your token is bound to, or log in at the right till."),
    ProblemType("not-found", 404, "Not found", "Nothing exists at this address or with this id.",
                "The id is wrong, or the resource is in a store you cannot see.",
                "Check the id; list the collection to find it."),
    ProblemType("method-not-allowed", 405, "Method not allowed", "This address does not take that HTTP method.",
                "Each resource accepts the methods listed in /api/schema/.",
                "Use a method listed in the `Allow` header."),
    ProblemType("not-acceptable", 406, "Not acceptable", "The server cannot answer in the type you asked for.",
                "The API speaks JSON (and CSV for some reports).", "Send `Accept: application/json`."),
    ProblemType("body-too-large", 413, "Request body too large", "The body is bigger than the server accepts.",
                "Limits keep one request from exhausting the server.",
                "Send fewer lines per request (e.g. split an import)."),
    ProblemType("unsupported-media-type", 415, "Unsupported media type", "The body's Content-Type is not accepted.",
                "Writes take JSON.", "Send `Content-Type: application/json`."),
    ProblemType("idempotency-key-reused", 422, "Idempotency-Key reused with a different request",
                "This Idempotency-Key was already used for a different request.",
                "A key names one submission; its retry must carry the same body.",
                "Use a new key (8-128 of letters, digits and `. _ : -`) for a new submission."),
    ProblemType("throttled", 429, "Too many requests", "You sent more requests than allowed in the window.",
                "Rate limits protect the service for every till.",
                "Wait the seconds in `Retry-After`, then retry (with the same Idempotency-Key for a write)."),
    ProblemType("too-many-requests", 429, "Too many requests", "You sent more requests than allowed.",
                "Rate limits protect the service.", "Wait the seconds in `Retry-After`, then retry."),
    ProblemType("login-locked", 429, "Login locked", "Too many failed logins for this username or address.",
                "Locking slows down password guessing.",
                "Wait the seconds in `Retry-After`, or ask a manager to check the account."),
    ProblemType("internal-server-error", 500, "Server error", "The server failed to handle the request.",
                "A bug or an outage; it was logged with the request_id.",
                "Retry later with the same Idempotency-Key; report the `request_id` if it persists."),
    ProblemType("database-unavailable", 503, "Database unavailable", "The database could not be reached.",
                "A restart, failover or lost connection; it is transient.",
                "Wait the seconds in `Retry-After`. " + RETRY_SAME_KEY),
    ProblemType("service-unavailable", 503, "Service unavailable",
                "The gateway found no healthy service for this path.", "A service is restarting or down.",
                "Retry shortly. " + RETRY_SAME_KEY),
    ProblemType("gateway-timeout", 504, "Gateway timeout", "The service did not answer the gateway in time.",
                "A write may or may not have been applied.", RETRY_SAME_KEY),
    # --- generic domain answers ---------------------------------------------------------------------
    ProblemType("domain-error", 422, "The request breaks a business rule",
                "A business rule refused the command.", "The `detail` says which rule.",
                "Change the request as `detail` and `errors` say."),
    ProblemType("conflict", 409, "Conflict with the current state",
                "The command does not apply to the resource as it is now.", "Its state changed or forbids it.",
                RELOAD),
    ProblemType("concurrency-conflict", 409, "Concurrent modification",
                "Someone else changed the same resource first.", "Writes to one resource are serialised.",
                RELOAD + " " + RETRY_SAME_KEY),
    ProblemType("out-of-scope", 403, "Out of your scope", "The resource is outside the stores you manage.",
                "Managers act on their own stores only.", "Ask head office or a manager of that store."),
    ProblemType("staff-out-of-scope", 403, "Staff out of your scope",
                "That person does not work in a store you manage.", "Managers act on their own staff only.",
                "Ask head office or a manager of their store."),
    ProblemType("needs-manager", 403, "Needs a manager", "The amount or discount is above what you may approve.",
                "Large refunds, discounts and voids need a manager's approval.",
                "Ask a manager to approve at the till: POST /api/v1/sales/approvals/ with their credentials, then send "
                "the same request again with the answer's token in the `X-Manager-Approval` header."),
    ProblemType("not-a-manager", 422, "Not a manager's credentials",
                "The approving credentials are not those of a manager of this store.",
                "Only a manager may approve.", "Ask a manager of this store to enter their credentials."),
    # --- stores and staff ---------------------------------------------------------------------------
    ProblemType("already-deactivated", 409, "Already deactivated", "The account is already deactivated.",
                "Deactivation happens once.", "Nothing to do."),
    ProblemType("already-registered", 409, "Already registered", "This is already registered.",
                "Registration happens once per id.", "Use the existing one."),
    ProblemType("already-taken", 409, "Already taken", "The name, SKU or barcode is used by another resource.",
                "These must be unique.", "Choose another value, or change the other resource first."),
    ProblemType("username-taken", 409, "Username taken", "There is already an account with this username.",
                "Usernames are unique.", "Choose another username."),
    ProblemType("email-taken", 409, "Email taken", "Another customer has this email.", "Emails are unique.",
                "Use the existing customer, or another email."),
    ProblemType("store-exists", 409, "Store exists", "A store with this code is already registered.",
                "Store codes are unique.", "Choose another code."),
    ProblemType("store-closed", 409, "Store closed", "The store is closed for business.",
                "A closed store takes no new staff, tills or delivery orders (its tills keep working).",
                "Reopen the store first, or use another."),
    ProblemType("store-open", 409, "Store open", "The store is already open.", "It was not closed.",
                "Nothing to do."),
    ProblemType("unknown-store", 422, "Unknown store", "No store has this code.",
                "Tills, delivery orders, staff and stock belong to a store registered under /api/v1/stores/; the "
                "code is wrong, or the store is not yet known to sales or the catalog (reads may trail writes). "
                "Nothing was changed.",
                "Check the code (GET /api/v1/stores/); register the store first; if just registered, retry shortly."),
    # --- catalog ------------------------------------------------------------------------------------
    ProblemType("already-discontinued", 409, "Already discontinued", "The product is already discontinued.",
                "Discontinuing happens once.", "Nothing to do."),
    ProblemType("not-discontinued", 409, "Not discontinued", "The product is not discontinued.",
                "Only a discontinued product can be reinstated.", "Nothing to do."),
    ProblemType("category-in-use", 409, "Category in use", "Products still belong to this category.",
                "A category with products cannot be deleted.", "Move or discontinue its products first."),
    ProblemType("category-deleted", 409, "Category deleted", "The category was deleted.",
                "A deleted category cannot change.", "Use another category."),
    ProblemType("unknown-category", 422, "Unknown category", "No category has this id.",
                "The id is wrong or the category was deleted.", "List the categories and choose one."),
    ProblemType("insufficient-stock", 409, "Insufficient stock", "The store has fewer units available.",
                "A transfer sends only what the sending store has available (on hand less reserved); "
                "nothing was sent.", "Send fewer, or receive or count the stock first."),
    ProblemType("transfer-already-sent", 409, "Transfer already sent", "A transfer with this id was sent.",
                "A transfer is sent once.", "Use a new transfer id, or read the transfer."),
    ProblemType("stocktake-already-started", 409, "Stocktake already started",
                "A stocktake with this id was started.", "A stocktake is started once.",
                "Use a new stocktake id, or read the stocktake."),
    ProblemType("stocktake-not-open", 409, "Stocktake not open", "The stocktake was already counted.",
                "A count sheet is counted once.", "Start a new stocktake."),
    ProblemType("transfer-not-in-transit", 409, "Transfer not in transit", "The transfer is not in transit.",
                "A transfer is received once, after it was sent.", "Read the transfer's status."),
    # --- customers ----------------------------------------------------------------------------------
    ProblemType("customer-removed", 409, "Customer removed", "The customer was removed.",
                "Nothing about a removed customer may change.", "Use another customer."),
    ProblemType("customer-removed-error", 409, "Customer removed", "The customer was removed.",
                "Nothing about a removed customer may change.", "Use another customer."),
    ProblemType("unknown-customer", 422, "Unknown customer", "No customer has this id.",
                "The id is wrong, or the customer is not yet known to sales (reads may trail writes).",
                "Check the id; if just created, retry shortly."),
    # --- sales --------------------------------------------------------------------------------------
    ProblemType("no-open-session", 409, "No open session", "The till has no open session.",
                "Sales are recorded in a till session.", "Open the session first (POST the session open)."),
    ProblemType("session-already-open", 409, "Session already open", "The till already has an open session.",
                "One session at a time per till.", "Keep selling in it, or close it first."),
    ProblemType("session-closed", 409, "Session closed", "The session is closed.",
                "A closed session takes no more sales.", "Open a new session."),
    ProblemType("unfinished-sales", 409, "Unfinished sales", "The till has sales neither completed nor voided.",
                "Every sale ends before the session closes.",
                "Take their payment or void them, or close with `\"void_unfinished\": true`."),
    ProblemType("drawer-short", 422, "Drawer short", "More cash would leave the drawer than it should hold.",
                "The drawer never goes below zero cash.", "Take out less, refund by card, or ask a manager."),
    ProblemType("till-required", 422, "Till required", "The sale must name a till.",
                "Till sales need `till_id` or a till-bound token.", "Log in at the till with `till_id`."),
    ProblemType("wrong-till", 409, "Wrong till", "The sale belongs to another till.",
                "A till acts on its own sales.", "Use the till that made the sale."),
    ProblemType("unknown-product", 422, "Unknown product", "No product has this id.",
                "The id is wrong, or the product is not yet known to sales (reads may trail writes); goods in "
                "and transfers name products of the catalog.",
                "Check the id; if just created, retry shortly."),
    ProblemType("discontinued-product", 422, "Discontinued product", "The product is discontinued.",
                "Discontinued products are not sold.", "Remove the line or sell another product."),
    ProblemType("not-payable", 409, "Not payable", "The order is not awaiting payment.",
                "It is completed, voided or cancelled, so nothing is owed.", RELOAD),
    ProblemType("not-voidable", 409, "Not voidable", "This order cannot be voided.",
                "Delivery orders are cancelled, and paid sales refunded, not voided.",
                "Cancel the delivery order, or refund the sale."),
    ProblemType("not-cancellable", 409, "Not cancellable", "This order cannot be cancelled.",
                "It already shipped, completed or was cancelled.", RELOAD),
    ProblemType("not-shippable", 409, "Not shippable", "This order cannot be shipped.",
                "It is not paid, or already shipped or cancelled.", RELOAD),
    ProblemType("address-not-forgettable", 409, "Address not forgettable",
                "This order's shipping address cannot be forgotten on its own.",
                "A till sale has no address, and the addresses of an order naming a customer are erased by "
                "forgetting that customer (they share the customer's key).",
                "Forget the customer (POST /api/v1/customers/{id}/forget/), or check the order."),
    ProblemType("not-refundable", 409, "Not refundable", "This sale cannot be refunded.",
                "Only completed sales are refunded.", RELOAD),
    ProblemType("refund-exceeds-sale", 409, "Refund exceeds sale",
                "The refund is more than what is left to refund on the sale.",
                "A sale is refunded at most once in total.", "Refund at most the remaining amount or quantity."),
    ProblemType("card-refund-exceeds-payment", 422, "Card refund exceeds payment",
                "More is refunded to card than was paid by card.", "Card refunds go back to the card paid.",
                "Refund the rest in cash."),
    ProblemType("refund-exceeds-tender", 422, "Refund exceeds tender",
                "More is refunded by this tender than was paid by it.", "Only cash goes back beyond what a tender "
                "brought in.", "Refund the rest in cash."),
    ProblemType("overpaid", 422, "Overpaid", "The payments are more than the amount due.",
                "Only cash gives change.", "Pay at most what is due by card; cash may exceed it."),
    ProblemType("card-overpayment", 422, "Card overpayment", "A card payment is more than the amount due.",
                "Card payments give no change.", "Charge the card at most the amount due."),
    ProblemType("tender-too-large", 422, "Tender too large", "The cash tendered is implausibly large.",
                "It guards against a mistyped amount.", "Check the amount tendered."),
    ProblemType("tender-gives-no-change", 422, "Tender gives no change",
                "A payment by this tender is more than the amount due.", "Only tenders that give change (cash, or "
                "one the shop defined so) may exceed what is owed.", "Take at most the amount due by this tender."),
    ProblemType("unknown-tender", 422, "Unknown tender", "No active tender has this code.",
                "Payments and refunds use cash, card or a tender the shop defined (GET /api/v1/sales/tenders/).",
                "Use a listed tender's code, or ask a manager to define or reinstate it."),
    ProblemType("reference-required", 422, "Reference required", "This tender needs a reference.",
                "A voucher or cheque is identified by its number, so the Z-report can be checked against them.",
                "Send the payment's `reference`."),
    ProblemType("points-need-customer", 422, "Points need a customer",
                "Loyalty points pay only for a sale to a customer.", "Points are a customer's own.",
                "Add the customer to the sale (`customer_id`)."),
    ProblemType("not-enough-points", 422, "Not enough points", "The customer has fewer points than the payment needs.",
                "Each point pays POS_LOYALTY_POINT_VALUE; the detail says how many the customer has.",
                "Pay the rest by another tender."),
    ProblemType("points-not-whole", 422, "Not a whole number of points",
                "The amount is not a whole number of points.", "Points are spent whole.",
                "Pay a multiple of the point's value."),
    ProblemType("reserved-tender", 422, "Reserved tender code", "The code is built in or reserved.",
                "cash, card, original, points and loyalty already mean something.", "Choose another code."),
    ProblemType("tender-exists", 409, "Tender exists", "A tender with this code is defined already.",
                "A code names one tender for good (retired ones too).", "Change or reinstate it instead (PATCH)."),
    ProblemType("ambiguous-method", 422, "Ambiguous payment method", "The refund's method cannot be decided.",
                "The sale was paid several ways.", "Say which method (`cash` or `card`) to refund to."),
    ProblemType("placed-at-in-future", 422, "Placed in the future", "`placed_at` is later than now.",
                "An offline sale is recorded when it happened, never ahead.", "Send the time the sale happened."),
    ProblemType("placed-at-outside-session", 422, "Placed outside the session",
                "`placed_at` is not within the till session.", "An offline sale belongs to its session.",
                "Send the time the sale happened, within its session."),
]

PROBLEM_TYPES: dict[str, ProblemType] = {t.name: t for t in _TYPES}
