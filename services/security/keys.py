"""The process-wide field cipher, built from configuration once per settings object."""
from __future__ import annotations

import threading

from services.security.crypto import FieldCipher
from services.settings import Settings, get_settings

_lock = threading.Lock()
_built: tuple[Settings, FieldCipher] | None = None


def get_cipher() -> FieldCipher:
    """The cipher for the current settings. Rebuilt when the settings are (tests, the CLI after changing the
    environment call services.settings.reset_settings): keyed on the settings object, so the settings module
    need not know this one."""
    global _built
    settings = get_settings()
    built = _built
    if built is not None and built[0] is settings:
        return built[1]
    with _lock:
        if _built is None or _built[0] is not settings:
            _built = (settings, FieldCipher.from_config(settings.resolved_encryption_keys()))
        return _built[1]


def reset_cipher() -> None:
    global _built
    with _lock:
        _built = None
