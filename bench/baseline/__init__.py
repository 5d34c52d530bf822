"""A plain DRF endpoint that inserts one ordinary row: the baseline of the till-sale benchmark.
Installed only through POS_EXTRA_APPS=bench.baseline (never in production settings)."""
