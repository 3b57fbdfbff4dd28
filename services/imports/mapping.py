"""Which file column feeds which customer field: suggestions from header names, and checks.

A mapping is `{header: field}`; unmapped columns are ignored. Header names are compared
after NFKC normalisation, lower-casing and removing spaces, underscores, hyphens and
brackets, so "证件号码", "ID Number", "id_number" and "身份证号(必填)" all find `id_number`.

Custom fields are targets too, as `custom.<key>`: the caller passes the ones the actor may see
(`custom_targets`, from the definitions), suggested by their Chinese label, English label or key.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

from services.errors import FieldError, ValidationFailed

# Target fields of a customer import, in the order the mapping screen lists them.
FIELDS = ("name", "kind", "id_type", "id_number", "phone", "birth_date", "gender", "email", "address",
          "occupation", "segment", "source_channel", "status", "owner")
# Needed to create a customer; id_number or phone is needed to match one.
REQUIRED_FIELDS = ("name",)
CUSTOM_PREFIX = "custom."

_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "customername", "姓名", "客户姓名", "客户名称", "名称", "户名", "企业名称"),
    "kind": ("kind", "type", "customertype", "客户类型", "客户类别"),
    "id_type": ("idtype", "documenttype", "证件类型", "证件种类"),
    "id_number": ("idnumber", "idno", "id", "idcard", "nationalid", "documentnumber", "证件号码", "证件号",
                  "身份证号", "身份证号码", "身份证", "统一社会信用代码", "信用代码"),
    "phone": ("phone", "mobile", "mobilephone", "cellphone", "tel", "telephone", "phonenumber", "手机",
              "手机号", "手机号码", "电话", "联系电话", "移动电话"),
    "birth_date": ("birthdate", "dateofbirth", "dob", "birthday", "出生日期", "生日", "出生年月日"),
    "gender": ("gender", "sex", "性别"),
    "email": ("email", "mail", "emailaddress", "邮箱", "电子邮箱", "电子邮件"),
    "address": ("address", "addr", "地址", "联系地址", "住址", "通讯地址"),
    "occupation": ("occupation", "job", "profession", "职业", "工作"),
    "segment": ("segment", "tier", "客户分层", "客户等级", "分层"),
    "source_channel": ("sourcechannel", "source", "channel", "获客渠道", "来源", "渠道"),
    "status": ("status", "state", "状态", "客户状态"),
    "owner": ("owner", "rm", "rmusername", "relationshipmanager", "manager", "客户经理", "归属客户经理",
              "客户经理账号", "管户经理"),
}
_STRIP = re.compile(r"[\s_\-()（）\[\]【】*:：/.]+")
_QUALIFIERS = ("必填", "选填", "required", "optional")


def _norm(header: str) -> str:
    s = unicodedata.normalize("NFKC", header or "").lower()
    for q in _QUALIFIERS:
        s = s.replace(q, "")
    return _STRIP.sub("", s)


_LOOKUP = {_norm(alias): f for f, aliases in _ALIASES.items() for alias in aliases}


def custom_target(key: str) -> str:
    return CUSTOM_PREFIX + key


def is_custom(target: str) -> bool:
    return isinstance(target, str) and target.startswith(CUSTOM_PREFIX)


def suggest(headers: list[str], custom: Iterable[tuple[str, Iterable[str]]] = ()) -> dict[str, str]:
    """A mapping from the header names: each field at most once, first matching column wins.

    `custom`: (target "custom.<key>", names it may be called by: labels, key). A header that is a
    customer field's alias stays with that field."""
    lookup = dict(_LOOKUP)
    for target, names in custom:
        for name in names:
            n = _norm(name)
            if n:
                lookup.setdefault(n, target)
    out: dict[str, str] = {}
    used: set[str] = set()
    for h in headers:
        f = lookup.get(_norm(h))
        if f and f not in used:
            out[h] = f
            used.add(f)
    return out


def check(mapping: Any, headers: list[str], custom_targets: dict[str, dict] | None = None) -> dict[str, str]:
    """Validate a mapping sent by a caller against the file's headers and the custom fields the
    actor may see (`custom_targets`: "custom.<key>" -> the label params its errors carry)."""
    custom_targets = custom_targets or {}
    allowed = set(FIELDS) | set(custom_targets)
    if not isinstance(mapping, dict) or len(mapping) > len(headers):
        raise ValidationFailed([FieldError("mapping", "value.invalid")])
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    errors: list[FieldError] = []
    for col, f in mapping.items():
        if not isinstance(col, str) or col not in headers:
            errors.append(FieldError("mapping", "import.unknown_column", {"column": str(col)[:50]}))
            continue
        if f in (None, ""):
            continue
        if not isinstance(f, str) or f not in allowed:
            errors.append(FieldError("mapping", "import.unknown_target", {"column": col}))
            continue
        if f in seen:
            errors.append(FieldError(f, "import.mapped_twice", {"column": col, **custom_targets.get(f, {})}))
            continue
        seen[f] = col
        out[col] = f
    for f in REQUIRED_FIELDS:
        if f not in seen:
            errors.append(FieldError(f, "import.field_unmapped"))
    if "id_number" not in seen and "phone" not in seen:
        errors.append(FieldError("id_number", "import.field_unmapped"))
    if errors:
        raise ValidationFailed(errors)
    return out
