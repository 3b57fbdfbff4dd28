"""Signed disclosures: PDF generation under 20 concurrent requests, against bare WeasyPrint on the same HTML.

Three runs over the same set of disclosures (different customers, products, amounts, both languages), each
with 20 requests in flight at once (a pool of 20 threads, as a backend worker's thread pool serves them):
- bare: `weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")` on the HTML the service builds;
- service: what the disclosure step renders before signing (services.suitability.disclosures: building
  the HTML from the content, then PDF/A-3b with the embedded CJK font);
- signing: the firm's PAdES signature on those PDFs (pyHanko), reported on its own.
Per request the time from when a thread takes it to when it is done (what a customer waits for once it is
being served); throughput is documents per second of the whole run. Target: service / bare <= 1.3.
"""
from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from bench.report import emit, note, percentiles, repeat_count

CONCURRENCY = 20


def _contents(n: int):
    from services.demo.suitability import _signature
    from services.suitability.disclosures import DisclosureContent

    rng = random.Random(5)
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚"
    sig = _signature(rng)
    import base64

    png = base64.b64decode(sig["image"].split(",", 1)[1])
    out = []
    for i in range(n):
        en = i % 4 == 3
        warn = i % 3 == 0
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.randint(1, 2)))
        out.append(DisclosureContent(
            locale="en" if en else "zh_CN", sale_id=10_000 + i,
            signed_at=datetime(2026, 11, 30, 9, rng.randrange(60), tzinfo=timezone.utc).isoformat(),
            customer_name=name, customer_no=f"C{100000000 + i}", id_masked=f"110105********{rng.randrange(10000):04d}",
            investor_class="ordinary", risk_level="C3 (2027-06-30)",
            basis="个人普通投资者风险承受能力评估问卷（第 1 版），2026-06-30 评估，得分 55，有效期至 2027-06-30（评估编号 %d）" % i,
            product_name="消费升级混合基金", product_code="FD0403", product_type="基金",
            product_risk="R4 · 中高风险：本金损失的可能性较大，收益波动大。", issuer="易方达基金管理有限公司",
            regime="证券期货及基金投资者适当性规则", amount=f"¥{rng.randrange(10_000, 5_000_000):,}.00",
            verdict="不匹配：本产品风险等级高于您的风险承受能力等级。" if warn else "匹配：您的风险承受能力等级覆盖本产品风险等级。",
            reasons=["产品风险等级 R4 高于客户风险承受能力等级 C3。根据证券期货及基金投资者适当性规则，客户须阅读并签署风险不匹配警示后方可购买。"
                     if warn else "客户风险承受能力等级 C4 覆盖产品风险等级 R4。"],
            warning=("本产品风险等级（R4）高于您的风险承受能力等级（C3）。本机构已向您提示：本产品可能不适合您，购买后可能遭受超出您承受能力"
                     "的损失。您坚持购买，并已阅读、理解本警示。") if warn else None,
            statements=["本人已年满 65 周岁，已充分了解本产品风险较高、可能损失本金，本次购买系本人真实意愿。"] if i % 5 == 0 else [],
            cooling_off_until="2026-12-01 09:00", signature_png=png, check_id=50_000 + i))
    return out


def _concurrently(fn, items) -> tuple[list[float], float, list]:
    """Run fn over items with CONCURRENCY threads: per-item milliseconds, wall seconds, results."""
    def timed(item):
        t = time.perf_counter()
        result = fn(item)
        return (time.perf_counter() - t) * 1000, result

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        done = list(pool.map(timed, items))
    return [d[0] for d in done], time.perf_counter() - t0, [d[1] for d in done]


def run(repeat: int | None = None) -> None:
    from weasyprint import HTML

    from services.suitability import disclosures, signing

    n = repeat_count(repeat, 100)
    contents = _contents(n)
    htmls = [disclosures.disclosure_html(c) for c in contents]
    signing.signer()  # the demo firm certificate (generated once into the bench directory), loaded once
    # Warm up fonts, layout caches and the signer on a few documents first.
    for c in contents[:3]:
        signing.sign_pdf(disclosures.render_pdf(disclosures.disclosure_html(c)), reason="warm-up")
    note(f"disclosure_pdf: {n} documents per run, {CONCURRENCY} at a time")

    bare_ms, bare_s, _ = _concurrently(lambda h: HTML(string=h).write_pdf(pdf_variant=disclosures.PDF_VARIANT), htmls)
    svc_ms, svc_s, pdfs = _concurrently(lambda c: disclosures.render_pdf(disclosures.disclosure_html(c)), contents)
    sign_ms, sign_s, signed = _concurrently(lambda pdf: signing.sign_pdf(pdf, reason="bench"), pdfs)
    assert all(signing.verify_pdf(s).ok for s in signed[:2])
    b, s, g = percentiles(bare_ms), percentiles(svc_ms), percentiles(sign_ms)
    pages = disclosures.page_count(pdfs[0])
    emit("disclosure_pdf", documents=n, concurrency=CONCURRENCY, pages=pages, size_kb=round(len(pdfs[0]) / 1024),
         service_p50_ms=s["p50_ms"], service_p95_ms=s["p95_ms"], baseline_bare_p50_ms=b["p50_ms"],
         baseline_bare_p95_ms=b["p95_ms"], ratio_p95=round(s["p95_ms"] / b["p95_ms"], 2),
         service_docs_per_s=round(n / svc_s, 2), baseline_bare_docs_per_s=round(n / bare_s, 2),
         ratio_throughput=round((n / bare_s) / (n / svc_s), 2), target_ratio=1.3)
    emit("disclosure_signing", documents=n, concurrency=CONCURRENCY, signing_p50_ms=g["p50_ms"],
         signing_p95_ms=g["p95_ms"], signing_docs_per_s=round(n / sign_s, 2),
         baseline_bare_render_p95_ms=b["p95_ms"], ratio_p95_to_bare_render=round(g["p95_ms"] / b["p95_ms"], 2),
         render_and_sign_p95_ms=round(s["p95_ms"] + g["p95_ms"], 1),
         ratio_render_and_sign_to_bare=round((s["p95_ms"] + g["p95_ms"]) / b["p95_ms"], 2),
         signed_size_kb=round(len(signed[0]) / 1024))
    note("disclosure_pdf done")
