"""The cryptography of crypto-shredding, with no storage: AES-256-GCM (the `cryptography`
library's AEAD) for both layers.

    data_key = new_data_key()
    wrapped = wrap(data_key, aad=b"customer:42")          # what the key table stores
    token = seal({"name": "Ada"}, data_key, aad=b"42")    # what the event carries
    open_token(token, unwrap(wrapped, aad=b"customer:42"), aad=b"42") == {"name": "Ada"}

The associated data binds a ciphertext to its subject: a token copied into another customer's
event does not open under that customer's key. A fresh random 96-bit nonce per message is safe
for far more messages than one subject's key ever seals.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOKEN_PREFIX = "aesgcm1."
NONCE_BYTES = 12
KEY_BYTES = 32
DERIVED_ID = "secret-key"


class CannotOpen(Exception):
    """A token or wrapped key that does not decrypt: wrong key, wrong subject, or tampered with."""


@dataclass(frozen=True)
class MasterKey:
    id: str
    key: bytes

    def __repr__(self) -> str:  # never print key material (logs, tracebacks)
        return f"MasterKey({self.id!r})"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _encrypt(plaintext: bytes, key: bytes, aad: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return _b64(nonce + AESGCM(key).encrypt(nonce, plaintext, aad))


def _decrypt(text: str, key: bytes, aad: bytes) -> bytes:
    try:
        raw = _unb64(text)
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as exc:
        raise CannotOpen("the ciphertext does not open with this key") from exc


def seal(value, key: bytes, *, aad: bytes) -> str:
    """`value` (anything JSON can hold) encrypted under the data key, as text for a JSON event."""
    return TOKEN_PREFIX + _encrypt(json.dumps(value, sort_keys=True, separators=(",", ":")).encode(), key, aad)


def open_token(token: str, key: bytes, *, aad: bytes):
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise CannotOpen("not a sealed value")
    return json.loads(_decrypt(token.removeprefix(TOKEN_PREFIX), key, aad))


# --- master keys ------------------------------------------------------------------------------
def master_keys() -> list[MasterKey]:
    """The configured master keys, the current one first; the key derived from SECRET_KEY is
    always last, so keys wrapped under it still open after POS_MASTER_KEYS is set."""
    keys = []
    for entry in settings.POS_MASTER_KEYS:
        key_id, sep, encoded = entry.partition(":")
        try:
            key = _unb64(encoded.strip())
        except ValueError:
            key = b""
        if not sep or not key_id.strip() or len(key) != KEY_BYTES:
            raise ImproperlyConfigured(f"POS_MASTER_KEYS entry {key_id.strip() or '?'!r} is not 'id:<32 bytes in "
                                       "urlsafe base64>' (manage.py master_key new makes one)")
        keys.append(MasterKey(key_id.strip(), key))
    return keys + [derived_master_key()]


def derived_master_key() -> MasterKey:
    key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
               info=b"pos personal-data master key").derive(settings.SECRET_KEY.encode())
    return MasterKey(DERIVED_ID, key)


def current_master_key() -> MasterKey:
    return master_keys()[0]


def new_master_key_entry(key_id: str) -> str:
    return f"{key_id}:{_b64(new_data_key())}"


def wrap(data_key: bytes, *, aad: bytes, master: MasterKey | None = None) -> tuple[str, str]:
    """(master key id, the data key encrypted under that master key)."""
    master = master or current_master_key()
    return master.id, _encrypt(data_key, master.key, aad)


def unwrap(master_id: str, wrapped: str, *, aad: bytes) -> bytes:
    for master in master_keys():
        if master.id == master_id:
            return _decrypt(wrapped, master.key, aad)
    raise CannotOpen(f"master key {master_id!r} is not configured (POS_MASTER_KEYS)")

