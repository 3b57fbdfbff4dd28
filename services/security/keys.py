"""The process-wide field cipher, built once from configuration."""
from __future__ import annotations

from functools import lru_cache

from services.security.crypto import FieldCipher
from services.settings import get_settings


@lru_cache(maxsize=1)
def get_cipher() -> FieldCipher:
    return FieldCipher.from_config(get_settings().resolved_encryption_keys())


def reset_cipher() -> None:
    get_cipher.cache_clear()
