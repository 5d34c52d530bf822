"""Value rules of the catalog: SKUs, barcodes (EAN-13 / UPC-A with check digit), prices, tax
rates, quantities. Each raises DomainError naming the field at fault."""

import re
from decimal import Decimal, InvalidOperation

from kernel.errors import DomainError
from kernel.money import to_money

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
MAX_PRICE = Decimal("999999.99")
MAX_QUANTITY = 1_000_000
STORE_CODE_PATTERN = re.compile(r"^[A-Z0-9]{1,8}$")  # as the stores context registers them


def clean_sku(value: str) -> str:
    sku = (value or "").strip().upper()
    if not SKU_PATTERN.match(sku):
        raise DomainError("A SKU is 1 to 40 letters, digits or . _ / - and starts with a letter or digit.",
                          field="sku")
    return sku


def barcode_check_digit(body: str) -> int:
    """GS1 check digit: weights 3,1,3,... from the rightmost digit of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def clean_barcode(value: str | None) -> str | None:
    """EAN-13 (13 digits) or UPC-A (12 digits), check digit verified. Empty means none."""
    code = (value or "").strip()
    if not code:
        return None
    # isascii(): str.isdigit() also accepts digits such as "²" or "４" that are no barcode (and int("²") fails).
    if not (code.isascii() and code.isdigit()) or len(code) not in (12, 13):
        raise DomainError("A barcode is an EAN-13 (13 digits) or a UPC-A (12 digits).", field="barcode")
    if barcode_check_digit(code[:-1]) != int(code[-1]):
        raise DomainError(f"Barcode {code} has a wrong check digit (expected {barcode_check_digit(code[:-1])}).",
                          field="barcode")
    return code


def clean_name(value: str, field: str = "name", max_length: int = 200) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise DomainError("A name is required.", field=field)
    if len(name) > max_length:
        raise DomainError(f"A name has at most {max_length} characters.", field=field)
    return name


def clean_price(value) -> Decimal:
    try:
        price = to_money(value)
    except (TypeError, ValueError, InvalidOperation):
        raise DomainError("The price must be an amount such as 12.50.", field="unit_price") from None
    if price <= 0:
        raise DomainError("The price must be greater than zero.", field="unit_price")
    if price > MAX_PRICE:
        raise DomainError(f"The price must be at most {MAX_PRICE}.", field="unit_price")
    return price


def clean_tax_rate(value) -> Decimal:
    try:
        rate = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError("The tax rate is a percentage such as 20 or 5.5.", field="tax_rate") from None
    if not rate.is_finite() or not Decimal("0") <= rate <= Decimal("100"):  # NaN cannot be compared
        raise DomainError("The tax rate is a percentage between 0 and 100.", field="tax_rate")
    return rate


def clean_cost(value, field: str = "cost_price") -> Decimal:
    """What a unit cost the shop (a purchase price): an amount from 0 (a free sample) to MAX_PRICE."""
    try:
        cost = to_money(value)
    except (TypeError, ValueError, InvalidOperation):
        raise DomainError("A cost is an amount such as 1.25.", field=field) from None
    if not cost.is_finite() or not Decimal("0") <= cost <= MAX_PRICE:
        raise DomainError(f"A cost is an amount from 0 to {MAX_PRICE}.", field=field)
    return cost


def positive_quantity(value: int, field: str = "quantity") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_QUANTITY:
        raise DomainError(f"The quantity must be a whole number from 1 to {MAX_QUANTITY}.", field=field)
    return value


def counted_quantity(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_QUANTITY:
        raise DomainError(f"The counted quantity must be a whole number from 0 to {MAX_QUANTITY}.",
                          field="counted_quantity")
    return value


def low_stock_threshold(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_QUANTITY:
        raise DomainError("The low-stock threshold must be a whole number of 0 or more.",
                          field="low_stock_threshold")
    return value
