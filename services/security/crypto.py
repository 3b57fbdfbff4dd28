"""Field-level encryption for PII at rest (AES-256-GCM) with key rotation, plus a keyed
blind index (HMAC-SHA256) for exact-match search on encrypted columns.

Token format (ASCII, fits a VARCHAR)::

    v1.<key_id>.<base64url(nonce[12] || ciphertext || tag[16]), no padding>

The associated data binds the token to its version, key id and *context* (the column,
e.g. ``"customer.id_number"``), so a ciphertext copied into another column, or relabelled
with another key id, fails authentication instead of decrypting.

Configuration (``FINCRM_ENCRYPTION_KEYS``)::

    k2:<base64 32 bytes>,k1:<base64 32 bytes>,index:<base64 32 bytes>

The first data key is *active* (used to encrypt); later ones are retired keys still
accepted for decryption. To rotate: put a new key first, keep the old ones, re-encrypt
rows for which :meth:`FieldCipher.needs_rotation` is true, then drop the old key.
``index`` is the blind-index key. It is separate from the data keys and is not rotated
with them: changing it means recomputing every blind index column.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["FieldCipher", "DecryptionError", "generate_keys_spec", "KEYGEN_COMMAND"]

TOKEN_VERSION = "v1"
INDEX_KEY_ID = "index"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
BLIND_INDEX_HEX_CHARS = 32  # 128 bits
KEYGEN_COMMAND = (
    'python -c "import secrets,base64;print(base64.b64encode(secrets.token_bytes(32)).decode())"'
)
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_HOW_TO = (
    "FINCRM_ENCRYPTION_KEYS must be comma-separated 'keyid:base64key' entries with 32-byte keys; "
    "the first data key is active, and a reserved 'index:base64key' entry holds the blind-index key, "
    "e.g. 'k1:<key>,index:<key>'. Generate each key with: " + KEYGEN_COMMAND
)


class DecryptionError(Exception):
    """A token could not be decrypted: malformed, unknown key id, tampered, or wrong context."""


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode_key(text: str) -> bytes:
    """Accept standard or URL-safe base64, with or without padding."""
    t = text.strip().replace("-", "+").replace("_", "/")
    t += "=" * (-len(t) % 4)
    return base64.b64decode(t, validate=True)


class FieldCipher:
    """Encrypts/decrypts single field values and computes blind indexes.

    Thread-safe and cheap to share (one per process, see ``services.security.keys``).
    """

    __slots__ = ("_aead", "_active", "_index_key")

    def __init__(self, keyring: Mapping[str, bytes], active_key_id: str, index_key: bytes) -> None:
        if not keyring:
            raise ValueError("keyring is empty. " + _HOW_TO)
        for kid, key in keyring.items():
            if not _KEY_ID.fullmatch(kid) or kid == INDEX_KEY_ID:
                raise ValueError(
                    f"invalid key id {kid!r}: use 1-16 letters, digits, '-' or '_' (not 'index')"
                )
            if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
                raise ValueError(f"key {kid!r} must be exactly {KEY_BYTES} bytes. " + _HOW_TO)
        if active_key_id not in keyring:
            raise ValueError(f"active key id {active_key_id!r} is not in the keyring")
        if not isinstance(index_key, bytes | bytearray) or len(index_key) != KEY_BYTES:
            raise ValueError(f"the blind-index key must be exactly {KEY_BYTES} bytes. " + _HOW_TO)
        if any(hmac.compare_digest(bytes(index_key), bytes(k)) for k in keyring.values()):
            raise ValueError("the blind-index key must differ from every encryption key")
        self._aead = {kid: AESGCM(bytes(key)) for kid, key in keyring.items()}
        self._active = active_key_id
        self._index_key = bytes(index_key)

    def __repr__(self) -> str:  # never show key material
        return f"FieldCipher(active_key_id={self._active!r}, key_ids={sorted(self._aead)!r})"

    @property
    def active_key_id(self) -> str:
        return self._active

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._aead)

    # -- encryption --------------------------------------------------------------------

    @staticmethod
    def _aad(key_id: str, context: str) -> bytes:
        return f"{TOKEN_VERSION}.{key_id}.{context}".encode()

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt ``plaintext`` with the active key; ``context`` names the column."""
        if not isinstance(plaintext, str):
            raise TypeError("plaintext must be str")
        if not context:
            raise ValueError("context is required (e.g. 'customer.id_number')")
        nonce = os.urandom(NONCE_BYTES)
        ct = self._aead[self._active].encrypt(
            nonce, plaintext.encode("utf-8"), self._aad(self._active, context)
        )
        return f"{TOKEN_VERSION}.{self._active}.{_b64url_encode(nonce + ct)}"

    @staticmethod
    def _split(token: str) -> tuple[str, str]:
        if not isinstance(token, str):
            raise DecryptionError("encrypted value is not a string")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != TOKEN_VERSION or not parts[1] or not parts[2]:
            raise DecryptionError(
                f"malformed encrypted value: expected '{TOKEN_VERSION}.<key_id>.<data>'"
            )
        return parts[1], parts[2]

    def decrypt(self, token: str, *, context: str) -> str:
        """Decrypt a token made by :meth:`encrypt` with the same ``context``."""
        key_id, payload = self._split(token)
        aead = self._aead.get(key_id)
        if aead is None:
            raise DecryptionError(
                f"unknown encryption key id {key_id!r}: it is not in FINCRM_ENCRYPTION_KEYS "
                f"(known: {', '.join(sorted(self._aead))}). Add the retired key back to decrypt."
            )
        try:
            raw = _b64url_decode(payload)
        except (binascii.Error, ValueError):
            raise DecryptionError("malformed encrypted value: bad base64 data") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("malformed encrypted value: too short")
        try:
            pt = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(key_id, context))
        except InvalidTag:
            raise DecryptionError(
                f"encrypted value failed authentication for context {context!r}: "
                "it was tampered with, or belongs to another field"
            ) from None
        return pt.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        """True if ``token`` was encrypted with a key other than the active one."""
        key_id, _ = self._split(token)
        return key_id != self._active

    def reencrypt(self, token: str, *, context: str) -> str:
        """Decrypt with whichever key made ``token`` and encrypt again with the active key.

        Returns ``token`` unchanged if it already uses the active key.
        """
        if not self.needs_rotation(token):
            return token
        return self.encrypt(self.decrypt(token, context=context), context=context)

    # -- blind index ---------------------------------------------------------------------

    def blind_index(self, value: str, *, context: str) -> str:
        """Deterministic keyed digest of ``value`` for exact-match lookup.

        HMAC-SHA256(index_key, context + "\\x00" + value), hex, first 32 hex chars.
        Callers must normalise ``value`` first (e.g. ``normalize_id_number``) so equal
        values index equally. The context separates columns: the same phone number gives
        unrelated indexes in ``customer.phone`` and ``contact.phone``.

        Why truncating to 128 bits is fine: the index only narrows a lookup; the query
        still compares the decrypted/filtered rows and the column is not unique. A random
        128-bit collision needs ~2^64 values (birthday bound), far beyond any customer
        table, and HMAC truncation to at least half the output length is sanctioned by
        RFC 2104 / NIST SP 800-107. Shorter output also leaks less (fewer bits for an
        offline comparison) and keeps the index column and B-tree small. Without the key,
        the low-entropy inputs (phones, ID numbers) cannot be brute-forced from the index.
        """
        if not isinstance(value, str):
            raise TypeError("value must be str")
        if not context:
            raise ValueError("context is required (e.g. 'customer.id_number')")
        msg = context.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()[:BLIND_INDEX_HEX_CHARS]

    # -- configuration -------------------------------------------------------------------

    @classmethod
    def from_config(cls, keys_spec: str | None) -> FieldCipher:
        """Build from the ``FINCRM_ENCRYPTION_KEYS`` format (see module docstring)."""
        if not keys_spec or not keys_spec.strip():
            raise ValueError("FINCRM_ENCRYPTION_KEYS is empty. " + _HOW_TO)
        keyring: dict[str, bytes] = {}
        active: str | None = None
        index_key: bytes | None = None
        for n, entry in enumerate(keys_spec.split(","), start=1):
            entry = entry.strip()
            if not entry:
                raise ValueError(f"FINCRM_ENCRYPTION_KEYS entry {n} is empty. " + _HOW_TO)
            kid, sep, b64 = entry.partition(":")
            kid = kid.strip()
            if not sep or not kid or not b64.strip():
                raise ValueError(
                    f"FINCRM_ENCRYPTION_KEYS entry {n} is not 'keyid:base64key'. " + _HOW_TO
                )
            if not _KEY_ID.fullmatch(kid):
                raise ValueError(
                    f"FINCRM_ENCRYPTION_KEYS entry {n}: invalid key id {kid!r} "
                    "(1-16 letters, digits, '-' or '_'). " + _HOW_TO
                )
            try:
                key = _decode_key(b64)
            except (binascii.Error, ValueError):
                raise ValueError(
                    f"FINCRM_ENCRYPTION_KEYS key {kid!r} is not valid base64. " + _HOW_TO
                ) from None
            if len(key) != KEY_BYTES:
                raise ValueError(
                    f"FINCRM_ENCRYPTION_KEYS key {kid!r} is {len(key)} bytes; it must be "
                    f"{KEY_BYTES}. " + _HOW_TO
                )
            if kid == INDEX_KEY_ID:
                if index_key is not None:
                    raise ValueError("FINCRM_ENCRYPTION_KEYS has more than one 'index' entry")
                index_key = key
                continue
            if kid in keyring:
                raise ValueError(f"FINCRM_ENCRYPTION_KEYS has duplicate key id {kid!r}")
            keyring[kid] = key
            if active is None:
                active = kid
        if active is None:
            raise ValueError("FINCRM_ENCRYPTION_KEYS has no encryption key. " + _HOW_TO)
        if index_key is None:
            raise ValueError(
                "FINCRM_ENCRYPTION_KEYS has no 'index:base64key' entry for the blind index. "
                + _HOW_TO
            )
        return cls(keyring, active, index_key)


def generate_keys_spec(key_id: str = "k1") -> str:
    """A fresh ``FINCRM_ENCRYPTION_KEYS`` value: one active data key and an index key."""
    if not _KEY_ID.fullmatch(key_id) or key_id == INDEX_KEY_ID:
        raise ValueError(f"invalid key id {key_id!r}")
    k = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    i = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    return f"{key_id}:{k},{INDEX_KEY_ID}:{i}"
