"""Signed disclosures: the product's risk disclosure and the suitability result (with the mismatch warning
where one was signed), in the customer's language, as a PDF/A-3b document with the customer's finger
signature, the time, the sale and the assessment it rests on; digitally signed by the firm (PAdES) and kept in
the document store by SHA-256. The stored bytes are what every later download returns.

Rendering is WeasyPrint on HTML built here (`disclosure_html`); Chinese text is set in Noto Sans CJK SC
(Debian fonts-noto-cjk), embedded as a subset, as PDF/A requires.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from services import clock, documents
from services.customers.models import Customer, Document
from services.db import UnitOfWork
from services.errors import FieldError, ValidationFailed
from services.i18n import format_date, format_datetime, format_money
from services.security import audit
from services.security.actor import Actor
from services.suitability import signing
from services.suitability.models import (InvestorClassification, Questionnaire, RiskAssessment, Sale, Signature,
                                         Verdict)
from services.security.policy import Permission as P, requires
from services.suitability.rules import CustomerFacts, Decision, ProductFacts
from services.suitability.views import reason_view

PDF_VARIANT = "pdf/a-3b"
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans CJK", sans-serif'

# Wording of the documents, per language. What a level means for a product: shown in the risk disclosure.
_PRODUCT_RISK = {
    "R1": ("低风险：本金损失的可能性很小，收益波动很小。", "Low risk: loss of principal is very unlikely and returns vary little."),
    "R2": ("中低风险：本金损失的可能性较小，收益可能有一定波动。",
           "Medium-low risk: loss of principal is unlikely; returns may vary somewhat."),
    "R3": ("中风险：存在一定的本金损失可能，收益波动较大。",
           "Medium risk: some loss of principal is possible and returns vary considerably."),
    "R4": ("中高风险：本金损失的可能性较大，收益波动大。",
           "Medium-high risk: loss of principal is fairly likely and returns vary widely."),
    "R5": ("高风险：可能损失大部分甚至全部本金，收益波动很大。",
           "High risk: you may lose most or all of what you invest, and returns vary very widely."),
}
_WORDS = {
    "title": ("产品风险揭示书及适当性匹配确认书", "Product risk disclosure and suitability confirmation"),
    "sale": ("销售编号", "Sale no."),
    "date": ("签署时间", "Signed at"),
    "customer": ("客户信息", "Customer"),
    "name": ("客户姓名", "Name"),
    "customer_no": ("客户号", "Customer no."),
    "id_number": ("证件号码", "ID number"),
    "investor_class": ("投资者类别", "Investor class"),
    "ordinary": ("普通投资者", "Ordinary investor"),
    "professional": ("专业投资者", "Professional investor"),
    "risk_level": ("风险承受能力等级", "Risk tolerance level"),
    "basis": ("评估依据", "Assessed by"),
    "assessment": ("{title}（第 {version} 版），{date} 评估，得分 {score}，有效期至 {until}（评估编号 {id}）",
                   "{title} (version {version}), assessed on {date}, score {score}, valid until {until} "
                   "(assessment no. {id})"),
    "classification": ("专业投资者认定，有效期至 {until}（认定编号 {id}）",
                       "Professional investor classification, valid until {until} (classification no. {id})"),
    "product": ("产品信息", "Product"),
    "product_name": ("产品名称", "Product"),
    "product_code": ("产品代码", "Code"),
    "product_type": ("产品类型", "Type"),
    "product_risk": ("产品风险等级", "Risk level"),
    "issuer": ("发行机构", "Issuer"),
    "regime": ("适用规则", "Rules"),
    "amount": ("购买金额", "Amount"),
    "disclosure": ("风险揭示", "Risk disclosure"),
    "disclosure_text": (
        "投资有风险。本产品不等同于存款，不保证本金和收益；过往业绩不代表未来表现。您可能因市场、信用、流动性、"
        "政策等风险而遭受损失。请您在充分了解本产品风险后，根据自身风险承受能力审慎决策。",
        "Investing carries risk. This product is not a deposit; neither the money invested nor any return is "
        "guaranteed, and past performance says nothing about the future. You may lose money through market, "
        "credit, liquidity or policy risks. Decide only after you understand these risks and within your own "
        "risk tolerance."),
    "result": ("适当性匹配结果", "Suitability result"),
    "verdict.allowed": ("匹配：您的风险承受能力等级覆盖本产品风险等级。",
                        "Suitable: your risk tolerance covers this product's risk level."),
    "verdict.warning_required": ("不匹配：本产品风险等级高于您的风险承受能力等级。",
                                 "Not suitable: this product's risk level is above your risk tolerance."),
    "warning": ("风险不匹配警示", "Risk mismatch warning"),
    "warning_text": (
        "本产品风险等级（{product_level}）高于您的风险承受能力等级（{level}）。本机构已向您提示：本产品可能不适合您，"
        "购买后可能遭受超出您承受能力的损失。您坚持购买，并已阅读、理解本警示。",
        "This product's risk level ({product_level}) is above your risk tolerance ({level}). We have told you that "
        "the product may not be suitable for you and that you may suffer losses beyond what you can bear. You "
        "insist on buying it and have read and understood this warning."),
    "statements": ("客户确认", "The customer confirms"),
    "cooling": ("冷静期", "Cooling-off period"),
    "cooling_text": ("自签署时起至 {until} 为冷静期，冷静期内您可以撤销本次购买。",
                     "Until {until} you may cancel this purchase (cooling-off period)."),
    "signature": ("客户签名", "Customer's signature"),
    "signed_on": ("签名时间：{when}（手写电子签名）", "Signed on {when} (handwritten electronic signature)"),
    "footer": ("本文件由 FinCRM 生成并经本机构数字签名；签名后的任何改动均可被检出。适当性检查编号 {check}。",
               "Generated by FinCRM and digitally signed by the firm: any change after signing can be detected. "
               "Suitability check no. {check}."),
}
_PRODUCT_TYPES = {"deposit": ("存款", "Deposit"), "wealth": ("理财", "Wealth management"), "fund": ("基金", "Fund"),
                  "bond": ("债券", "Bond"), "equity": ("股票", "Equity"), "insurance": ("保险", "Insurance")}


def _w(key: str, locale: str, **params: Any) -> str:
    zh, en = _WORDS[key]
    text = en if locale == "en" else zh
    return text.format(**params) if params else text


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class DisclosureContent:
    """Everything the document says (plain data: the benchmark renders the same content)."""

    locale: str
    sale_id: int
    signed_at: Any
    customer_name: str
    customer_no: str
    id_masked: str
    investor_class: str
    risk_level: str | None
    basis: str
    product_name: str
    product_code: str
    product_type: str
    product_risk: str
    issuer: str
    regime: str
    amount: str
    verdict: str
    reasons: list[str]
    warning: str | None
    statements: list[str]
    cooling_off_until: str
    signature_png: bytes
    check_id: int


def disclosure_html(c: DisclosureContent) -> str:
    loc = c.locale
    rows = lambda pairs: "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in pairs)  # noqa: E731
    png = base64.b64encode(c.signature_png).decode("ascii")
    warning = (f'<section class="warning"><h2>{_e(_w("warning", loc))}</h2><p>{_e(c.warning)}</p></section>'
               if c.warning else "")
    statements = ("<section><h2>{}</h2><ul>{}</ul></section>".format(
        _e(_w("statements", loc)), "".join(f"<li>{_e(s)}</li>" for s in c.statements)) if c.statements else "")
    return f"""<!DOCTYPE html>
<html lang="{'en' if loc == 'en' else 'zh-CN'}"><head><meta charset="utf-8">
<title>{_e(_w("title", loc))} {_e(c.sale_id)}</title>
<style>
@page {{ size: A4; margin: 16mm 16mm 18mm; @bottom-center {{ content: counter(page) " / " counter(pages);
  font-family: {FONT_FAMILY}; font-size: 8pt; color: #555; }} }}
body {{ font-family: {FONT_FAMILY}; font-size: 10pt; line-height: 1.5; color: #111; }}
h1 {{ font-size: 15pt; margin: 0 0 4mm; }} h2 {{ font-size: 11pt; margin: 5mm 0 2mm; border-bottom: 0.5pt solid #999; }}
table {{ width: 100%; border-collapse: collapse; }} th, td {{ text-align: left; vertical-align: top; padding: 1mm 2mm; }}
th {{ width: 32%; font-weight: normal; color: #444; }} .meta {{ color: #444; font-size: 9pt; }}
.warning {{ border: 1pt solid #b42318; padding: 0 3mm 2mm; background: #fef3f2; }}
.warning h2 {{ color: #b42318; border: none; }} .sig img {{ height: 28mm; border-bottom: 0.5pt solid #333; }}
footer {{ margin-top: 6mm; font-size: 8pt; color: #555; }}
</style></head><body>
<h1>{_e(_w("title", loc))}</h1>
<p class="meta">{_e(_w("sale", loc))} {_e(c.sale_id)} · {_e(_w("date", loc))} {_e(c.signed_at)}</p>
<h2>{_e(_w("customer", loc))}</h2><table>{rows([(_w("name", loc), c.customer_name),
  (_w("customer_no", loc), c.customer_no), (_w("id_number", loc), c.id_masked),
  (_w("investor_class", loc), _w(c.investor_class, loc)), (_w("risk_level", loc), c.risk_level or "—"),
  (_w("basis", loc), c.basis)])}</table>
<h2>{_e(_w("product", loc))}</h2><table>{rows([(_w("product_name", loc), c.product_name),
  (_w("product_code", loc), c.product_code), (_w("product_type", loc), c.product_type),
  (_w("product_risk", loc), c.product_risk), (_w("issuer", loc), c.issuer), (_w("regime", loc), c.regime),
  (_w("amount", loc), c.amount)])}</table>
<h2>{_e(_w("disclosure", loc))}</h2><p>{_e(_w("disclosure_text", loc))}</p>
<h2>{_e(_w("result", loc))}</h2><p>{_e(c.verdict)}</p><ul>{"".join(f"<li>{_e(r)}</li>" for r in c.reasons)}</ul>
{warning}{statements}
<h2>{_e(_w("cooling", loc))}</h2><p>{_e(_w("cooling_text", loc, until=c.cooling_off_until))}</p>
<section class="sig"><h2>{_e(_w("signature", loc))}</h2><img alt="signature" src="data:image/png;base64,{png}">
<p class="meta">{_e(_w("signed_on", loc, when=c.signed_at))}</p></section>
<footer>{_e(_w("footer", loc, check=c.check_id))}</footer>
</body></html>"""


def render_pdf(html_text: str) -> bytes:
    """The HTML as PDF/A-3b (WeasyPrint), unsigned."""
    from weasyprint import HTML

    return HTML(string=html_text).write_pdf(pdf_variant=PDF_VARIANT)


def _basis(s: Session, locale: str, facts: CustomerFacts) -> str:
    if facts.investor_class == "professional" and facts.classification_id:
        c = s.get(InvestorClassification, facts.classification_id)
        return _w("classification", locale, until=format_date(c.valid_until, locale), id=c.id)
    if facts.assessment_id:
        a = s.get(RiskAssessment, facts.assessment_id)
        q = s.get(Questionnaire, a.questionnaire_id)
        return _w("assessment", locale, title=q.title_en if locale == "en" else q.title, version=q.version,
                  date=format_date(clock.local_date(a.assessed_at), locale), score=a.score,
                  until=format_date(a.valid_until, locale), id=a.id)
    return "—"


def content_for(s: Session, *, sale: Sale, customer: Customer, product: ProductFacts, facts: CustomerFacts,
                decision: Decision, image: bytes, check_id: int) -> DisclosureContent:
    loc = sale.locale if sale.locale in ("zh_CN", "en") else "zh_CN"
    en = loc == "en"
    regime = product.regime
    reasons = [getattr(reason_view(r.code, r.params), "en" if en else "zh_CN") for r in decision.reasons]
    level = facts.risk_level or "—"
    warning = (_w("warning_text", loc, product_level=product.risk_level, level=level)
               if decision.verdict == Verdict.WARNING_REQUIRED else None)
    statements = [(r.get("statement_en") if en else r.get("statement")) or r.get("name")
                  for r in sale.requirements or [] if r.get("requirement") == "extra_confirmation"]
    risk_words = _PRODUCT_RISK[product.risk_level][1 if en else 0]
    return DisclosureContent(
        locale=loc, sale_id=sale.id, signed_at=format_datetime(sale.signed_at, loc),
        customer_name=customer.name, customer_no=customer.customer_no,
        id_masked=customer.id_number_masked or ("*" * 8 + customer.id_last4), investor_class=facts.investor_class,
        risk_level=f"{level}" + (f" ({format_date(facts.assessment_expires, loc)})" if facts.assessment_expires
                                 and facts.risk_level else ""),
        basis=_basis(s, loc, facts), product_name=product.name_en if en else product.name,
        product_code=product.code, product_type=_PRODUCT_TYPES.get(product.product_type, (product.product_type,) * 2)[
            1 if en else 0], product_risk=f"{product.risk_level} · {risk_words}", issuer=product.issuer or "—",
        regime=(regime.name_en if en else regime.name) if regime else "—",
        amount=format_money(sale.amount, sale.currency, loc), verdict=_w(f"verdict.{decision.verdict}", loc),
        reasons=reasons, warning=warning, statements=[s_ for s_ in statements if s_],
        cooling_off_until=format_datetime(sale.cooling_off_until, loc), signature_png=image, check_id=check_id)


def create_disclosure(s: Session, actor: Actor, *, sale: Sale, customer: Customer, product: ProductFacts,
                      facts: CustomerFacts, decision: Decision, signature: Signature, image: bytes,
                      check_id: int) -> Document:
    """Render, sign and store the sale's disclosure; its SHA-256 is audited with the store (document.store)
    and with the sale's signature step (sale.sign)."""
    content = content_for(s, sale=sale, customer=customer, product=product, facts=facts, decision=decision,
                          image=image, check_id=check_id)
    pdf = render_pdf(disclosure_html(content))
    signed = signing.sign_pdf(pdf, reason=f"FinCRM disclosure, sale {sale.id}")
    doc = documents.store(s, data=signed, filename=f"disclosure-{sale.id}.pdf", content_type="application/pdf",
                          kind="disclosure", customer_id=customer.id, actor=actor)
    audit.record(s, actor, "disclosure.create", entity_type="sale", entity_id=sale.id,
                 changes={"document_id": doc.id, "sha256": doc.sha256, "size": doc.size, "locale": content.locale,
                          "signature_id": signature.id, "check_id": check_id, "warning": content.warning is not None})
    return doc


# ---------------------------------------------------------------- finding them again (operations)

@dataclass(frozen=True)
class DisclosureRow:
    document_id: int
    sale_id: int | None
    customer_id: int
    customer_name: str
    customer_no: str
    product_code: str | None
    product_name: str | None
    product_name_en: str | None
    signed_at: Any
    sha256: str
    size: int
    sale_status: str | None


@requires(P.CUSTOMER_READ)
def customer_disclosures(*, uow: UnitOfWork, actor: Actor, customer_id: Any) -> list[DisclosureRow]:
    """A customer's signed disclosures, newest first (the actor's scope decides which customers)."""
    from services.customers.access import load_customer
    from services.portfolio.models import Product

    s = uow.session
    customer = load_customer(s, actor, customer_id)
    rows = s.execute(
        select(Document, Sale, Product).outerjoin(Sale, Sale.disclosure_document_id == Document.id)
        .outerjoin(Product, Product.id == Sale.product_id)
        .where(Document.customer_id == customer.id, Document.kind == "disclosure")
        .order_by(Document.uploaded_at.desc(), Document.id.desc()).limit(100)).all()
    return [DisclosureRow(document_id=d.id, sale_id=sale.id if sale else None, customer_id=customer.id,
                          customer_name=customer.name, customer_no=customer.customer_no,
                          product_code=p.code if p else None, product_name=p.name if p else None,
                          product_name_en=p.name_en if p else None, signed_at=d.uploaded_at, sha256=d.sha256,
                          size=d.size, sale_status=sale.status if sale else None) for d, sale, p in rows]


MAX_PREVIEW_PAGES = 6


@requires(P.CUSTOMER_READ)
def preview_page(*, uow: UnitOfWork, actor: Actor, document_id: Any, page: Any) -> bytes:
    """One page of a stored disclosure as a PNG (the operations page previews before printing). Reading it
    is audited like a download."""
    import subprocess
    import tempfile

    from services.validation.input import whole_number

    number = whole_number(page, low=1, high=MAX_PREVIEW_PAGES + 1)
    if number is None:
        raise ValidationFailed([FieldError("page", "value.invalid")])
    s = uow.session
    doc, data = documents.open_document(s, document_id=document_id, actor=actor)
    if doc.kind != "disclosure":
        raise ValidationFailed([FieldError("document_id", "value.invalid")])
    with tempfile.TemporaryDirectory() as tmp:
        src = f"{tmp}/d.pdf"
        with open(src, "wb") as fh:
            fh.write(data)
        done = subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(number), "-l", str(number), "-singlefile",
                               src, f"{tmp}/page"], capture_output=True, timeout=30)
        if done.returncode != 0:
            raise ValidationFailed([FieldError("page", "value.invalid")])
        with open(f"{tmp}/page.png", "rb") as fh:
            png = fh.read()
    audit.record(s, actor, "document.preview", entity_type="document", entity_id=doc.id,
                 changes={"customer_id": doc.customer_id, "page": number, "sha256": doc.sha256})
    return png


def page_count(data: bytes) -> int:
    """How many pages a stored PDF has (poppler's pdfinfo; 0 when it cannot tell)."""
    import re
    import subprocess

    done = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, timeout=30)
    found = re.search(rb"^Pages:\s+(\d+)", done.stdout, re.M)
    return int(found.group(1)) if found else 0
