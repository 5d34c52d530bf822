"""Demo catalog for `make run`: a few categories and products with stock, made through commands.
Ids are derived from names, so loading twice changes nothing."""

import uuid
from decimal import Decimal

from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata

from . import commands as c
from .command_side import CategoryKey, ProductKey
from .domain.values import barcode_check_digit

NAMESPACE = uuid.UUID("6f1c7d52-3c8e-4d1e-9a57-0c2f3b1d9e01")

CATEGORIES = ["Drinks", "Bakery", "Household"]
PRODUCTS = [
    # sku, barcode body (12 digits), name, category, price, tax %, stock, low-stock threshold
    ("COF-250", "400638133393", "Ground coffee 250 g", "Drinks", "4.99", "10", 40, 10),
    ("WAT-150", "500011201043", "Still water 1.5 l", "Drinks", "0.89", "10", 120, 24),
    ("JUI-100", "871234567890", "Orange juice 1 l", "Drinks", "2.49", "10", 30, 8),
    ("BRD-800", "400500000021", "Sourdough bread 800 g", "Bakery", "3.80", "5", 15, 5),
    ("CRO-001", "400500000038", "Butter croissant", "Bakery", "1.20", "5", 60, 12),
    ("SOA-500", "590123412345", "Dish soap 500 ml", "Household", "2.15", "20", 3, 5),
]


def _id(kind: str, name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}:{name}")


def load(stdout) -> None:
    meta = Metadata.new(user="demo-loader")
    for name in CATEGORIES:
        if not CategoryKey.objects.filter(category_id=_id("category", name)).exists():
            execute(c.CreateCategory(category_id=_id("category", name), name=name), meta)
    created = 0
    for sku, body, name, category, price, tax, stock, threshold in PRODUCTS:
        product_id = _id("product", sku)
        if ProductKey.objects.filter(product_id=product_id).exists():
            continue
        execute(c.CreateProduct(product_id=product_id, sku=sku, barcode=body + str(barcode_check_digit(body)),
                                name=name, category_id=_id("category", category), unit_price=Decimal(price),
                                tax_rate=Decimal(tax), low_stock_threshold=threshold), meta)
        execute(c.ReceiveStock(product_id=product_id, quantity=stock, supplier_reference="opening stock"), meta)
        created += 1
    stdout.write(f"Catalog demo: {len(CATEGORIES)} categories, {len(PRODUCTS)} products ({created} new).")
