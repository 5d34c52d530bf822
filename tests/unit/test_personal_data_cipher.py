"""The crypto-shredding primitives (infrastructure/personal_data/cipher.py), without a database:
sealing and opening, binding to the subject, wrapping under master keys, rotation, and that key
material never shows in a repr."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from infrastructure.personal_data import cipher

pytestmark = pytest.mark.unit

DETAILS = {"name": "Ada Lovelace", "phone": "+442071234567", "email": "ada@example.org", "address": None}


def test_a_sealed_value_opens_with_its_key_and_subject_and_hides_the_plaintext():
    key = cipher.new_data_key()
    token = cipher.seal(DETAILS, key, aad=b"customer:1")
    assert token.startswith("aesgcm1.")
    assert "Ada" not in token and "ada@example.org" not in token and "2071234567" not in token
    assert cipher.open_token(token, key, aad=b"customer:1") == DETAILS


def test_sealing_twice_gives_different_tokens():
    key = cipher.new_data_key()
    assert cipher.seal(DETAILS, key, aad=b"s") != cipher.seal(DETAILS, key, aad=b"s")  # a fresh nonce each time


@pytest.mark.parametrize("case", ["other key", "other subject", "tampered", "not a token"])
def test_a_token_does_not_open_under_anything_else(case):
    key = cipher.new_data_key()
    token = cipher.seal(DETAILS, key, aad=b"customer:1")
    attempt = {
        "other key": lambda: cipher.open_token(token, cipher.new_data_key(), aad=b"customer:1"),
        "other subject": lambda: cipher.open_token(token, key, aad=b"customer:2"),
        "tampered": lambda: cipher.open_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), key,
                                              aad=b"customer:1"),
        "not a token": lambda: cipher.open_token({"name": "Ada"}, key, aad=b"customer:1"),
    }[case]
    with pytest.raises(cipher.CannotOpen):
        attempt()


def test_a_data_key_wraps_under_the_current_master_key_and_unwraps(settings):
    settings.POS_MASTER_KEYS = [cipher.new_master_key_entry("2026-12")]
    key = cipher.new_data_key()
    master_id, wrapped = cipher.wrap(key, aad=b"customer-key:1")
    assert master_id == "2026-12" and key not in wrapped.encode()
    assert cipher.unwrap(master_id, wrapped, aad=b"customer-key:1") == key
    with pytest.raises(cipher.CannotOpen):
        cipher.unwrap(master_id, wrapped, aad=b"customer-key:2")


def test_rotation_new_keys_wrap_under_the_first_entry_and_old_wraps_still_open(settings):
    old, new = cipher.new_master_key_entry("old"), cipher.new_master_key_entry("new")
    settings.POS_MASTER_KEYS = [old]
    key = cipher.new_data_key()
    wrapped_old = cipher.wrap(key, aad=b"k")
    settings.POS_MASTER_KEYS = [new, old]
    assert cipher.current_master_key().id == "new"
    assert cipher.unwrap(*wrapped_old, aad=b"k") == key
    settings.POS_MASTER_KEYS = [new]  # the old entry removed too early: its wraps no longer open
    with pytest.raises(cipher.CannotOpen, match="not configured"):
        cipher.unwrap(*wrapped_old, aad=b"k")


def test_without_configured_keys_the_master_key_is_derived_from_the_secret_key(settings):
    settings.POS_MASTER_KEYS = []
    first = cipher.current_master_key()
    assert first.id == cipher.DERIVED_ID and first == cipher.derived_master_key()
    wrapped = cipher.wrap(b"k" * 32, aad=b"a")
    settings.SECRET_KEY = "another secret key for this test"
    assert cipher.current_master_key().key != first.key
    with pytest.raises(cipher.CannotOpen):
        cipher.unwrap(*wrapped, aad=b"a")


@pytest.mark.parametrize("entry", ["no-colon", "id:", ":" + "A" * 43, "id:c2hvcnQ"])
def test_a_malformed_master_key_entry_is_refused_with_its_id_only(settings, entry):
    settings.POS_MASTER_KEYS = [entry]
    with pytest.raises(ImproperlyConfigured, match="POS_MASTER_KEYS entry") as refused:
        cipher.master_keys()
    assert "c2hvcnQ" not in str(refused.value)


def test_key_material_never_shows_in_a_repr(settings):
    entry = cipher.new_master_key_entry("k1")
    settings.POS_MASTER_KEYS = [entry]
    shown = repr(cipher.master_keys())
    assert "k1" in shown and entry.split(":")[1] not in shown
