"""The firm's digital signature on documents (PAdES, with pyHanko), and checking one.

A real installation configures its own certificate: FINCRM_SIGNING_P12 (a PKCS#12 file with the key and
certificate, and its chain) and FINCRM_SIGNING_P12_PASSWORD. Demo mode generates a self-signed firm
certificate once into the data directory (`firm_signing.p12`, its password beside it). Outside demo mode
without a configured certificate, nothing is signed: creating a disclosure fails with a clear error.

Verification (`verify_pdf`, the `fincrm documents verify FILE` command) checks every signature in a file:
that the signed bytes are intact, that the signature covers the whole file (nothing was appended after
signing), and that the signer is trusted (the firm's certificate and its chain, or given trust roots).
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import io
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable

from services import clock
from services.errors import DomainError
from services.settings import get_settings

DEMO_P12 = "firm_signing.p12"
DEMO_PASSWORD = "firm_signing.password"
FIELD_NAME = "FirmSignature"

_lock = threading.Lock()
_signer_cache: dict[str, Any] = {}


class SigningUnavailable(DomainError):
    code = "disclosure.no_certificate"
    http_status = 503


def _demo_files() -> tuple[Path, Path]:
    d = get_settings().data_dir
    return d / DEMO_P12, d / DEMO_PASSWORD


def make_self_signed(organisation: str = "FinCRM 演示金融机构 Demo Firm", days: int = 3650) -> tuple[bytes, bytes]:
    """(PKCS#12 bytes, password) of a new self-signed firm certificate (demo mode, tests)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, "FinCRM demo disclosure signing (self-signed)")])
    now = clock.now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    password = secrets.token_urlsafe(24).encode("ascii")
    p12 = pkcs12.serialize_key_and_certificates(b"fincrm-firm", key, cert, None,
                                                serialization.BestAvailableEncryption(password))
    return p12, password


def _write_once(path: Path, data: bytes) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return True


def ensure_demo_certificate() -> Path:
    """Demo mode: the self-signed firm certificate, generated once into the data directory."""
    p12_path, pw_path = _demo_files()
    with _lock:
        if not (p12_path.exists() and pw_path.exists()):
            p12, password = make_self_signed()
            # The password first: a process that sees the certificate can then always read its password.
            if _write_once(pw_path, password):
                p12_path.unlink(missing_ok=True)
                _write_once(p12_path, p12)
    return p12_path


def _certificate_source() -> tuple[Path, bytes]:
    settings = get_settings()
    if settings.signing_p12 is not None:
        password = (settings.signing_p12_password or "").encode("utf-8")
        return Path(settings.signing_p12), password
    if settings.demo_mode:
        path = ensure_demo_certificate()
        return path, _demo_files()[1].read_bytes().strip()
    raise SigningUnavailable()


def signer() -> Any:
    """The firm's pyHanko signer (loaded once per certificate file)."""
    from pyhanko.sign import signers

    path, password = _certificate_source()
    key = f"{path}:{path.stat().st_mtime_ns if path.exists() else 0}"
    with _lock:
        found = _signer_cache.get(key)
        if found is None:
            if not path.exists():
                raise SigningUnavailable()
            found = signers.SimpleSigner.load_pkcs12(str(path), passphrase=password or None)
            if found is None:
                raise SigningUnavailable()
            _signer_cache.clear()
            _signer_cache[key] = found
    return found


def firm_certificates() -> list[Any]:
    """The firm's certificate and its chain (asn1crypto), the default trust roots for verification."""
    s = signer()
    certs = [s.signing_cert]
    registry = getattr(s, "cert_registry", None)
    if registry is not None:
        certs += [c for c in registry if c != s.signing_cert]
    return certs


def sign_pdf(pdf: bytes, *, reason: str, location: str = "FinCRM") -> bytes:
    """Sign `pdf` with the firm's certificate (PAdES baseline B, SHA-256), as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason[:200], location=location[:100])
    firm = signer()
    return _run(lambda: signers.async_sign_pdf(writer, meta, signer=firm)).getvalue()


def _run(coroutine: Callable[[], Awaitable[Any]]) -> Any:
    """Run one of pyhanko's coroutines to its end from synchronous code. pyhanko's own synchronous wrappers call
    asyncio.run(), which refuses a thread whose event loop is running (an async caller, or a test process whose
    browser driver keeps one): there the coroutine gets a loop of its own in a short-lived thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(lambda: asyncio.run(coroutine())).result()


@dataclass
class SignatureCheck:
    field: str
    signer: str
    signed_at: str | None
    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    unchanged: bool
    summary: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file and self.unchanged


@dataclass
class Verification:
    signatures: list[SignatureCheck] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.signatures) and all(s.ok for s in self.signatures)


def verify_pdf(data: bytes, trust_roots: list[Any] | None = None) -> Verification:
    """Check every signature of a PDF against the firm's certificate (or `trust_roots`)."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko.sign.diff_analysis.policy_api import ModificationLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        return Verification(error=f"not a readable PDF: {exc}")
    if not embedded:
        return Verification(error="the file carries no signature")
    roots = trust_roots if trust_roots is not None else firm_certificates()
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    out = Verification()
    for sig in embedded:
        try:
            status = _run(lambda: async_validate_pdf_signature(sig, context))
        except Exception as exc:  # a signature too broken to evaluate is a failed one, named as such
            out.signatures.append(SignatureCheck(field=str(sig.field_name), signer="?", signed_at=None, intact=False,
                                                 valid=False, trusted=False, whole_file=False, unchanged=False,
                                                 summary=f"INVALID ({type(exc).__name__})"))
            continue
        cert = status.signing_cert
        out.signatures.append(SignatureCheck(
            field=str(sig.field_name), signer=cert.subject.human_friendly if cert is not None else "?",
            signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
            intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
            whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            unchanged=status.modification_level in (None, ModificationLevel.NONE),
            summary=status.summary()))
    return out
