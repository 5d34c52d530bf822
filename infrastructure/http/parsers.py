"""The API's JSON parser: DRF's, made safe against input that would otherwise end in a 500.

- nesting deep enough to exhaust the parser's recursion (`[[[[...]]]]`) is a 400, not a
  RecursionError;
- strings holding lone UTF-16 surrogates (`"\\ud800"`, valid JSON but not valid Unicode text, which
  PostgreSQL and every UTF-8 encoder refuse) are a 400;
- NUL characters are left to the serializers' CharFields, which refuse them (400) by default.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def _check(value, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - a string holds an invalid Unicode character (lone surrogate).") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        _check(data)
        return data
