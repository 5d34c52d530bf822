"""Pricing: the one place that turns price-list entries and quantities into money.

Every line is worked out in tax-inclusive terms, rounded half-up to cents per line:
- price includes tax: gross = price x qty; discount = gross x d%; total = gross - discount;
  tax = total x r / (100 + r).
- price excludes tax: net = price x qty - (price x qty x d%); tax = net x r%; total = net + tax;
  gross = price x qty x (100 + r)%, and discount = gross - total, so gross - discount = total
  holds exactly for every line and therefore for the order.
The order's figures are sums of its lines' (so a refund of whole lines refunds exact cents).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from kernel.errors import DomainError

from .errors import NeedsManager
from .events import OrderLine, TaxLine

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceEntry:
    product_id: UUID
    sku: str
    name: str
    unit_price: Decimal
    tax_rate: Decimal
    price_includes_tax: bool
    active: bool


def price_line(line_no: int, entry: PriceEntry, quantity: int, discount_percent: Decimal) -> OrderLine:
    rate, d = entry.tax_rate, discount_percent
    list_amount = entry.unit_price * quantity
    if entry.price_includes_tax:
        gross = money(list_amount)
        discount = money(gross * d / HUNDRED)
        total = gross - discount
        tax = money(total * rate / (HUNDRED + rate))
    else:
        net = money(list_amount) - money(list_amount * d / HUNDRED)
        tax = money(net * rate / HUNDRED)
        total = net + tax
        gross = money(list_amount * (HUNDRED + rate) / HUNDRED)
        discount = gross - total
    return OrderLine(line_no=line_no, product_id=entry.product_id, sku=entry.sku, name=entry.name,
                     quantity=quantity, unit_price=entry.unit_price, price_includes_tax=entry.price_includes_tax,
                     tax_rate=rate, discount_percent=d, gross=gross, discount=discount, total=total, tax=tax)


@dataclass(frozen=True)
class Totals:
    gross: Decimal
    discount_total: Decimal
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    taxes: tuple[TaxLine, ...]


def totals(lines) -> Totals:
    gross = sum((line.gross for line in lines), Decimal("0.00"))
    discount = sum((line.discount for line in lines), Decimal("0.00"))
    total = sum((line.total for line in lines), Decimal("0.00"))
    tax = sum((line.tax for line in lines), Decimal("0.00"))
    by_rate = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    for line in lines:
        by_rate[line.tax_rate][0] += line.total - line.tax
        by_rate[line.tax_rate][1] += line.tax
    taxes = tuple(TaxLine(rate=rate, taxable=amounts[0], tax=amounts[1]) for rate, amounts in sorted(by_rate.items()))
    return Totals(gross=gross, discount_total=discount, subtotal=total - tax, tax_total=tax, total=total,
                  taxes=taxes)


def check_discount(line_no: int, discount_percent: Decimal, max_percent: Decimal) -> Decimal:
    field = f"lines.{line_no - 1}.discount_percent"
    if not Decimal("0") <= discount_percent <= HUNDRED:
        raise DomainError("A line discount is a percentage from 0 to 100.", field=field)
    if discount_percent > max_percent:
        raise NeedsManager(f"A line discount above {max_percent}% needs a manager's approval.", field=field)
    return discount_percent.quantize(CENT)


def refund_share(line: OrderLine, quantity: int, already_quantity: int, already_amount: Decimal,
                 already_tax: Decimal) -> tuple[Decimal, Decimal]:
    """Money and tax back for `quantity` more units of a line. The last units refunded get
    exactly what is left, so refunding a line in parts never returns more or less than it cost."""
    if already_quantity + quantity == line.quantity:
        return line.total - already_amount, line.tax - already_tax
    return money(line.total * quantity / line.quantity), money(line.tax * quantity / line.quantity)
