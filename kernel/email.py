"""Email address syntax, as Django's EmailValidator (5.2) checks it, without Django: the domain
code must not depend on a framework. The rules are Django's (BSD licence), restated here:
a dot-atom or quoted local part, and a host name with a top-level domain (internationalised
names allowed), `localhost`, or an IPv4/IPv6 literal in brackets; 320 characters at most.
tests/unit/test_kernel.py checks that both accept and refuse the same addresses."""

from __future__ import annotations

import ipaddress
import re

_UL = "\u00a1-\uffff"  # Unicode letters, as Django allows in internationalised domain names
_HOSTNAME = rf"[a-z{_UL}0-9](?:[a-z{_UL}0-9-]{{0,61}}[a-z{_UL}0-9])?"
_DOMAIN = rf"(?:\.(?!-)[a-z{_UL}0-9-]{{1,63}}(?<!-))*"
_TLD = rf"\.(?!-)(?:[a-z{_UL}-]{{2,63}}|xn--[a-z0-9]{{1,59}})(?<!-)"

_USER = re.compile(
    r"(^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\Z"  # dot-atom
    r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',  # quoted-string
    re.IGNORECASE)
_DOMAIN_NAME = re.compile(rf"^{_HOSTNAME}{_DOMAIN}{_TLD}\Z", re.IGNORECASE)
_LITERAL = re.compile(r"\[([A-F0-9:.]+)\]\Z", re.IGNORECASE)
_ALLOWED_DOMAINS = ("localhost",)
MAX_LENGTH = 320  # RFC 3696, section 3


def is_valid_email(value: str) -> bool:
    if not value or "@" not in value or len(value) > MAX_LENGTH:
        return False
    user, domain = value.rsplit("@", 1)
    if not _USER.match(user):
        return False
    if domain in _ALLOWED_DOMAINS or _DOMAIN_NAME.match(domain):
        return True
    literal = _LITERAL.match(domain)
    if literal is None:
        return False
    try:
        ipaddress.ip_address(literal[1])
    except ValueError:
        return False
    return True
