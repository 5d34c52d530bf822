"""CSV for every report (`?format=csv`, or `Accept: text/csv`), through DRF's content negotiation.

A report's JSON is `{"rows": [...], "totals": {...}, ...}`; its CSV is the rows, one line each,
with a header line. A view may flatten nested values (`csv_table(data)`); otherwise the columns
are the rows' keys. Error answers (problem details) stay JSON whatever was asked for.

Cells a spreadsheet would run as a formula (text starting with = + - @ or a tab) get a leading
apostrophe; numbers (e.g. "-12.50") are left as they are.
"""

import csv
import io
import json
from decimal import Decimal, InvalidOperation

from rest_framework.renderers import BaseRenderer

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(_FORMULA_START):
        try:
            Decimal(text)
        except InvalidOperation:
            return "'" + text
    return text


def table_of(data) -> tuple[list[str], list[dict]]:
    """(header, rows) of a report's data: its `rows` (or the list itself, or the one object)."""
    rows = data.get("rows", [data]) if isinstance(data, dict) else list(data or [])
    header = list(rows[0].keys()) if rows else []
    return header, rows


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if response is not None and response.status_code >= 400:
            return json.dumps(data, default=str).encode()  # problem details (content type set by the handler)
        view = renderer_context.get("view")
        header, rows = view.csv_table(data) if hasattr(view, "csv_table") else table_of(data)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(row.get(column)) for column in header])
        return out.getvalue().encode(self.charset)
