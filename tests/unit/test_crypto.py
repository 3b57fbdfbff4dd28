import base64
import re
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.security.crypto import DecryptionError, FieldCipher, generate_keys_spec

CTX = "customer.id_number"


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture(scope="module")
def keys():
    return {"k1": secrets.token_bytes(32), "k2": secrets.token_bytes(32), "index": secrets.token_bytes(32)}


@pytest.fixture(scope="module")
def cipher(keys):
    return FieldCipher({"k1": keys["k1"]}, "k1", keys["index"])


@pytest.mark.parametrize("text", ["110101199003071234", "张三丰 · 北京市朝阳区", "", "emoji 😀", "x" * 1000])
def test_round_trip(cipher, text):
    token = cipher.encrypt(text, context=CTX)
    assert token.isascii()
    assert re.fullmatch(r"v1\.k1\.[A-Za-z0-9_-]+", token)
    assert text not in token or text == ""
    assert cipher.decrypt(token, context=CTX) == text


@given(st.text())
def test_round_trip_property(text):
    c = FieldCipher({"a": b"\x01" * 32}, "a", b"\x02" * 32)
    assert c.decrypt(c.encrypt(text, context="t.c"), context="t.c") == text


def test_fresh_nonce_each_time(cipher):
    tokens = {cipher.encrypt("13800138000", context="customer.phone") for _ in range(50)}
    assert len(tokens) == 50


def test_token_fits_column(cipher):
    # customer.id_number_enc is VARCHAR(255)
    assert len(cipher.encrypt("11010519491231002X", context=CTX)) < 100


def test_tamper_detection(cipher):
    token = cipher.encrypt("110101199003071234", context=CTX)
    prefix, payload = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for i in (0, 12, len(raw) // 2, len(raw) - 1):  # nonce, ciphertext, tag
        bad = bytearray(raw)
        bad[i] ^= 0x01
        forged = prefix + "." + base64.urlsafe_b64encode(bytes(bad)).rstrip(b"=").decode()
        with pytest.raises(DecryptionError, match="tampered"):
            cipher.decrypt(forged, context=CTX)
    truncated = prefix + "." + base64.urlsafe_b64encode(bytes(raw[:-1])).rstrip(b"=").decode()
    with pytest.raises(DecryptionError):
        cipher.decrypt(truncated, context=CTX)


@pytest.mark.parametrize(
    "token", ["", "garbage", "v1.k1", "v2.k1.AAAA", "v1..AAAA", "v1.k1.", "v1.k1.AAAA", "v1.k1.!!!!", "v1.k1.A"]
)
def test_malformed_tokens(cipher, token):
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context=CTX)


def test_wrong_context_fails(cipher):
    token = cipher.encrypt("13800138000", context="customer.phone")
    with pytest.raises(DecryptionError, match="another field"):
        cipher.decrypt(token, context="customer.id_number")


def test_relabelled_key_id_fails(keys):
    # Same key under two ids: the key id is bound into the associated data.
    c = FieldCipher({"k1": keys["k1"], "k9": keys["k1"]}, "k1", keys["index"])
    token = c.encrypt("secret", context=CTX)
    with pytest.raises(DecryptionError):
        c.decrypt(token.replace("v1.k1.", "v1.k9."), context=CTX)


def test_unknown_key_id(cipher, keys):
    other = FieldCipher({"k2": keys["k2"]}, "k2", keys["index"])
    token = other.encrypt("x", context=CTX)
    with pytest.raises(DecryptionError, match="unknown encryption key id 'k2'"):
        cipher.decrypt(token, context=CTX)


def test_rotation(keys):
    old = FieldCipher({"k1": keys["k1"]}, "k1", keys["index"])
    old_token = old.encrypt("张三 110101199003071234", context=CTX)

    rotated = FieldCipher({"k2": keys["k2"], "k1": keys["k1"]}, "k2", keys["index"])
    assert rotated.active_key_id == "k2"
    assert rotated.needs_rotation(old_token)
    assert rotated.decrypt(old_token, context=CTX) == "张三 110101199003071234"

    new_token = rotated.reencrypt(old_token, context=CTX)
    assert new_token.startswith("v1.k2.")
    assert not rotated.needs_rotation(new_token)
    assert rotated.reencrypt(new_token, context=CTX) == new_token
    assert rotated.decrypt(new_token, context=CTX) == "张三 110101199003071234"
    # the old cipher (old key only) cannot read the new token
    with pytest.raises(DecryptionError):
        old.decrypt(new_token, context=CTX)
    # the blind index key is independent of rotation
    assert old.blind_index("v", context=CTX) == rotated.blind_index("v", context=CTX)


def test_blind_index(cipher, keys):
    a = cipher.blind_index("13800138000", context="customer.phone")
    assert a == cipher.blind_index("13800138000", context="customer.phone")
    assert re.fullmatch(r"[0-9a-f]{32}", a)
    assert a != cipher.blind_index("13800138001", context="customer.phone")
    assert a != cipher.blind_index("13800138000", context="contact.phone")
    # context and value are separated: ("ab", "c") != ("a", "bc")
    assert cipher.blind_index("c", context="ab") != cipher.blind_index("bc", context="a")
    # a different index key gives unrelated indexes
    other = FieldCipher({"k1": keys["k1"]}, "k1", secrets.token_bytes(32))
    assert a != other.blind_index("13800138000", context="customer.phone")


@given(st.text(), st.text())
def test_blind_index_distinct_values(a, b):
    c = FieldCipher({"a": b"\x01" * 32}, "a", b"\x02" * 32)
    assert (c.blind_index(a, context="x") == c.blind_index(b, context="x")) == (a == b)


def test_context_required(cipher):
    with pytest.raises(ValueError):
        cipher.encrypt("x", context="")
    with pytest.raises(ValueError):
        cipher.blind_index("x", context="")


def test_from_config(keys):
    spec = f"k2:{b64(keys['k2'])}, k1:{b64(keys['k1'])},index:{b64(keys['index'])}"
    c = FieldCipher.from_config(spec)
    assert c.active_key_id == "k2"
    assert set(c.key_ids) == {"k1", "k2"}
    direct = FieldCipher({"k1": keys["k1"]}, "k1", keys["index"])
    assert c.decrypt(direct.encrypt("hi", context=CTX), context=CTX) == "hi"
    assert c.blind_index("v", context=CTX) == direct.blind_index("v", context=CTX)
    # index may come first; the first *data* key is active
    c2 = FieldCipher.from_config(f"index:{b64(keys['index'])},k1:{b64(keys['k1'])}")
    assert c2.active_key_id == "k1"
    # URL-safe base64 without padding is accepted too
    url = base64.urlsafe_b64encode(keys["k1"]).rstrip(b"=").decode()
    assert FieldCipher.from_config(f"k1:{url},index:{b64(keys['index'])}").active_key_id == "k1"


def test_generate_keys_spec():
    spec = generate_keys_spec()
    c = FieldCipher.from_config(spec)
    assert c.active_key_id == "k1"
    assert c.decrypt(c.encrypt("ok", context=CTX), context=CTX) == "ok"
    assert generate_keys_spec() != spec


GOOD = b64(b"\x11" * 32)
IDX = b64(b"\x22" * 32)


@pytest.mark.parametrize(
    "spec, fragment",
    [
        (None, "empty"),
        ("", "empty"),
        ("   ", "empty"),
        (f"index:{IDX}", "no encryption key"),
        (f"k1:{GOOD}", "no 'index:base64key'"),
        (f"k1{GOOD},index:{IDX}", "not 'keyid:base64key'"),
        (f"k1:,index:{IDX}", "not 'keyid:base64key'"),
        (f"k1:{GOOD},,index:{IDX}", "is empty"),
        (f"k1:not base64!,index:{IDX}", "not valid base64"),
        (f"k1:{b64(b'short')},index:{IDX}", "must be 32"),
        (f"k1:{GOOD},index:{b64(b'x' * 16)}", "must be 32"),
        (f"k1:{GOOD},k1:{b64(b'3' * 32)},index:{IDX}", "duplicate"),
        (f"k1:{GOOD},index:{IDX},index:{IDX}", "more than one"),
        (f"bad.id:{GOOD},index:{IDX}", "invalid key id"),
        (f"k1:{GOOD},index:{GOOD}", "must differ"),
    ],
)
def test_from_config_errors(spec, fragment):
    with pytest.raises(ValueError) as exc:
        FieldCipher.from_config(spec)
    message = str(exc.value)
    assert fragment in message
    assert GOOD not in message and IDX not in message  # never echo key material


def test_error_messages_explain_key_generation():
    with pytest.raises(ValueError) as exc:
        FieldCipher.from_config("k1:abc")
    assert "secrets.token_bytes(32)" in str(exc.value)


def test_repr_hides_keys(keys):
    c = FieldCipher({"k1": keys["k1"]}, "k1", keys["index"])
    r = repr(c)
    assert b64(keys["k1"]) not in r and keys["k1"].hex() not in r
    assert "k1" in r


def test_constructor_validation(keys):
    with pytest.raises(ValueError):
        FieldCipher({}, "k1", keys["index"])
    with pytest.raises(ValueError):
        FieldCipher({"k1": b"short"}, "k1", keys["index"])
    with pytest.raises(ValueError):
        FieldCipher({"k1": keys["k1"]}, "k2", keys["index"])
    with pytest.raises(ValueError):
        FieldCipher({"k1": keys["k1"]}, "k1", b"short")
    with pytest.raises(ValueError):
        FieldCipher({"index": keys["k1"]}, "index", keys["index"])
