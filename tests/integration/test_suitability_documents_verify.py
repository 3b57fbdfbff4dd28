"""`fincrm documents verify FILE`, run as a user runs it: a signed disclosure verifies; a changed byte, a change
appended after signing, another firm's certificate or a file that is no signed PDF do not (exit 1)."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def fincrm(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def signed(tmp_path, monkeypatch) -> tuple[Path, dict]:
    """A disclosure-like PDF/A signed with the demo firm certificate of a data directory, and the CLI's env."""
    from services.settings import reset_settings
    from services.suitability import disclosures, signing

    data = tmp_path / "data"
    monkeypatch.setenv("FINCRM_DATA_DIR", str(data))
    reset_settings()
    try:
        pdf = disclosures.render_pdf("<html><body><h1>风险揭示书 Risk disclosure</h1><p>R4 · C3</p></body></html>")
        path = tmp_path / "disclosure.pdf"
        path.write_bytes(signing.sign_pdf(pdf, reason="test"))
    finally:
        monkeypatch.undo()
        reset_settings()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINCRM_")}
    env.update(FINCRM_DEMO="1", FINCRM_DATA_DIR=str(data), FINCRM_DATABASE_URL=f"sqlite:///{tmp_path}/cli.db")
    return path, env


def test_a_signed_document_verifies(signed):
    path, env = signed
    out = fincrm("documents", "verify", str(path), env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "VERIFIED" in out.stdout and "intact: yes" in out.stdout and "FinCRM demo" in out.stdout


def test_a_changed_byte_is_found(signed, tmp_path):
    path, env = signed
    data = bytearray(path.read_bytes())
    at = data.index(b"/Producer") if b"/Producer" in data else len(data) // 2
    data[at + 12] ^= 0x01
    bad = tmp_path / "changed.pdf"
    bad.write_bytes(bytes(data))
    out = fincrm("documents", "verify", str(bad), env=env)
    assert out.returncode == 1 and "NOT VERIFIED" in out.stdout


def test_a_change_appended_after_signing_is_found(signed, tmp_path):
    """A PDF editor saves changes as an incremental update after the signed bytes: the signature still checks
    out over what it covered, but it no longer covers the whole file."""
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    path, env = signed
    writer = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()))
    info = writer.trailer["/Info"].get_object() if "/Info" in writer.trailer else None
    if info is not None:
        info[NameObject("/Title")] = TextStringObject("edited after signing")
        writer.update_container(info)
    root = writer.root
    root[NameObject("/Lang")] = TextStringObject("en")
    writer.update_root()
    out_buf = io.BytesIO()
    writer.write(out_buf)
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(out_buf.getvalue())
    out = fincrm("documents", "verify", str(edited), env=env)
    assert out.returncode == 1, out.stdout
    assert "covers the whole file: NO" in out.stdout or "unchanged since: NO" in out.stdout


def test_another_certificate_or_no_signature_does_not_verify(signed, tmp_path):
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.hazmat.primitives.serialization import Encoding

    from services.suitability.signing import make_self_signed

    path, env = signed
    p12, password = make_self_signed("Another firm")
    _, cert, _ = pkcs12.load_key_and_certificates(p12, password)
    other = tmp_path / "other.pem"
    other.write_bytes(cert.public_bytes(Encoding.PEM))
    out = fincrm("documents", "verify", str(path), "--trust", str(other), env=env)
    assert out.returncode == 1 and "trusted: NO" in out.stdout
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(b"%PDF-1.7\n%%EOF\n")
    assert fincrm("documents", "verify", str(plain), env=env).returncode == 1
    assert fincrm("documents", "verify", str(tmp_path / "missing.pdf"), env=env).returncode == 2


def test_signing_and_verifying_work_where_an_event_loop_runs(tmp_path, monkeypatch):
    """pyhanko's synchronous wrappers call asyncio.run(), which a thread with a running loop refuses (a browser
    test's driver keeps one: the demo seed then failed to sign its sales). Ours run there too."""
    import asyncio

    from services.settings import reset_settings
    from services.suitability import disclosures, signing

    monkeypatch.setenv("FINCRM_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    try:
        pdf = disclosures.render_pdf("<html><body><p>风险揭示书</p></body></html>")

        async def inside_a_loop():
            signed = signing.sign_pdf(pdf, reason="test")
            return signed, signing.verify_pdf(signed)

        signed, verification = asyncio.run(inside_a_loop())
        assert signed.startswith(b"%PDF") and verification.ok, verification
    finally:
        monkeypatch.undo()
        reset_settings()
