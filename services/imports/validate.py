"""Per-row validation of an import file: the same rules as a customer typed in by hand.

`validate_row` turns the mapped cells of one row into the canonical values the customer
service takes (identity through services.validation.identity, everything else through
services.customers.schemas.CustomerCreate) or into errors that name the row, the column
and the problem. Pure: no database (matching and the RM lookup happen in the service).

Custom-field columns (`custom.<key>`) go through the rules of services.customers.custom_fields
(`parse_value`, the field's type, range, choices and the actor's edit permission, as given by a
`CustomSpec`); their canonical values land in `values["custom"]`, which the customer service
checks once more (required fields, permission) when the row is applied.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from services import clock
from services.customers import custom_fields
from services.customers.models import (CustomerKind, CustomerStatus, CustomFieldDefinition, CustomFieldType, Gender,
                                       IdType, Segment, SourceChannel)
from services.customers.schemas import CustomerCreate
from services.errors import ValidationFailed
from services.imports.mapping import is_custom
from services.imports.reader import MAX_CELL, cell_problem
from services.validation.identity import (InvalidValue, id_number_birth_date, id_number_gender,
                                          normalize_id_number, normalize_phone, normalize_uscc)
from services.validation.input import parse


@dataclass
class RowError:
    row: int
    column: str  # header of the offending column ("" when the row as a whole is wrong)
    field: str
    code: str
    params: dict = field(default_factory=dict)


@dataclass
class RowResult:
    row: int
    values: dict  # canonical values for the customer service (plus "owner": a user name)
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class CustomSpec:
    """The custom fields an actor may see, by mapping target ("custom.<key>"), and which of
    them the actor may set."""
    defs: dict[str, CustomFieldDefinition]
    editable: frozenset[str]


def _fold(s: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", s).lower())


def _choices(enum, extra: dict[str, str]) -> dict[str, str]:
    out = {_fold(m.value): m.value for m in enum}
    out.update({_fold(k): v for k, v in extra.items()})
    return out


_KIND = _choices(CustomerKind, {"个人": "individual", "自然人": "individual", "person": "individual",
                                "机构": "institution", "企业": "institution", "对公": "institution",
                                "公司": "institution", "company": "institution", "corporate": "institution"})
_ID_TYPE = _choices(IdType, {"身份证": "resident_id", "居民身份证": "resident_id", "idcard": "resident_id",
                             "护照": "passport", "港澳通行证": "hk_macao_permit", "港澳居民来往内地通行证":
                             "hk_macao_permit", "台湾通行证": "taiwan_permit", "台胞证": "taiwan_permit",
                             "统一社会信用代码": "uscc", "信用代码": "uscc"})
_GENDER = _choices(Gender, {"男": "male", "女": "female", "m": "male", "f": "female"})
_SEGMENT = _choices(Segment, {"大众": "mass", "大众客户": "mass", "富裕": "affluent", "富裕客户": "affluent",
                              "高净值": "hnw", "高净值客户": "hnw", "超高净值": "uhnw", "超高净值客户": "uhnw",
                              "对公": "corporate", "对公客户": "corporate"})
_CHANNEL = _choices(SourceChannel, {"网点": "branch", "转介绍": "referral", "线上": "online", "活动": "event",
                                    "营销活动": "campaign", "合作渠道": "partner"})
_STATUS = _choices(CustomerStatus, {"潜在客户": "prospect", "潜在": "prospect", "有效": "active",
                                    "正常": "active", "休眠": "dormant", "已销户": "closed", "销户": "closed"})
_ENUMS = {"kind": _KIND, "id_type": _ID_TYPE, "gender": _GENDER, "segment": _SEGMENT,
          "source_channel": _CHANNEL, "status": _STATUS}

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def parse_date(raw: str, *, today: date | None = None, future_ok: bool = False) -> date:
    """A calendar date from the forms people and spreadsheets write, or InvalidValue."""
    s = unicodedata.normalize("NFKC", raw).strip()
    if " " in s:  # "1985-06-15 00:00:00" from a spreadsheet date-time
        head, _, tail = s.partition(" ")
        if re.fullmatch(r"0{1,2}:0{2}(:0{2})?", tail):
            s = head
    for pattern in _DATE_PATTERNS:
        m = pattern.match(s)
        if m:
            try:
                d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise InvalidValue("date.invalid", field="date") from None
            if d.year < 1900:
                raise InvalidValue("date.invalid", field="date")
            if not future_ok and d > (today or clock.today()):
                raise InvalidValue("value.future_date", field="date")
            return d
    raise InvalidValue("date.format", field="date")


def _looks_like_uscc(s: str) -> bool:
    try:
        normalize_uscc(s)
    except InvalidValue:
        return False
    return not s.isdigit()


def _custom_values(raw: dict[str, str], kind: str, spec: CustomSpec | None, err) -> dict:
    """Canonical values of the row's non-empty custom-field cells (see the module docstring)."""
    out: dict = {}
    for f, text in raw.items():
        if not is_custom(f):
            continue
        d = spec.defs.get(f) if spec is not None else None
        if d is None:
            err(f, "value.unknown_field")
            continue
        names = custom_fields.label_params(d)
        if not custom_fields.applies(d, kind):
            err(f, "import.custom_not_for_kind", **names)
            continue
        if f not in spec.editable:
            err(f, "value.not_editable", **names)
            continue
        value: object = text
        if d.field_type == CustomFieldType.DATE:
            try:
                value = parse_date(text, future_ok=True)
            except InvalidValue as exc:
                err(f, exc.code, **names)
                continue
        try:
            stored = custom_fields.parse_value(d, value)
        except custom_fields.BadValue as bad:
            err(f, bad.code, **bad.params, **names)
            continue
        if stored is not None:
            out[d.key] = stored
    return out


def validate_row(row_no: int, cells: list[str], columns: dict[str, int], headers: list[str],
                 *, today: date | None = None, custom: CustomSpec | None = None) -> RowResult:
    """`columns` maps field (or "custom.<key>") -> column index. Returns canonical values or
    errors for this row; custom-field values under values["custom"] (a dict by key)."""
    errors: list[RowError] = []
    raw: dict[str, str] = {}
    col_of = {f: headers[i] for f, i in columns.items()}

    def err(f: str, code: str, **params) -> None:
        errors.append(RowError(row_no, col_of.get(f, ""), f, code, params))

    for f, i in columns.items():
        value = cells[i].strip() if i < len(cells) else ""
        if len(value) > MAX_CELL:
            err(f, "value.too_long", max=MAX_CELL)
            continue
        problem = cell_problem(value)
        if problem and not (f == "phone" and value.startswith("+")):
            err(f, problem)
            continue
        if value:
            raw[f] = value
    if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
        errors.append(RowError(row_no, "", "row", "import.extra_cells", {"count": len(cells), "expected": len(headers)}))

    values: dict = {}
    for f in ("kind", "id_type", "gender", "segment", "source_channel", "status"):
        if f in raw:
            v = _ENUMS[f].get(_fold(raw[f]))
            if v is None:
                err(f, "import.unknown_choice", value=raw[f][:30])
            else:
                values[f] = v
    number_raw = raw.get("id_number")
    if "kind" not in values:
        institution = values.get("id_type") == IdType.USCC or (
            number_raw is not None and "id_type" not in values and _looks_like_uscc(number_raw))
        values["kind"] = CustomerKind.INSTITUTION.value if institution else CustomerKind.INDIVIDUAL.value
    if "id_type" not in values and not any(e.field == "id_type" for e in errors):
        values["id_type"] = IdType.USCC.value if values["kind"] == CustomerKind.INSTITUTION else IdType.RESIDENT_ID.value

    # Identity: the check digits of GB 11643 and GB 32100.
    id_type = values.get("id_type")
    if number_raw is not None and id_type is not None:
        try:
            if id_type == IdType.RESIDENT_ID:
                values["id_number"] = normalize_id_number(number_raw, today=today)
            elif id_type == IdType.USCC:
                values["id_number"] = normalize_uscc(number_raw)
            else:
                n = "".join(number_raw.split()).upper()
                if not (5 <= len(n) <= 20) or not n.isalnum():
                    raise InvalidValue("value.invalid", field="id_number")
                values["id_number"] = n
        except InvalidValue as exc:
            err("id_number", exc.code)
        if (values["kind"] == CustomerKind.INSTITUTION) != (id_type == IdType.USCC):
            err("id_type", "value.wrong_id_type")
    if "phone" in raw:
        try:
            values["phone"] = normalize_phone(raw["phone"])
        except InvalidValue as exc:
            err("phone", exc.code)
    if "birth_date" in raw:
        try:
            values["birth_date"] = parse_date(raw["birth_date"], today=today)
        except InvalidValue as exc:
            err("birth_date", exc.code)
    number = values.get("id_number")
    if number and id_type == IdType.RESIDENT_ID:
        if "birth_date" in values and values["birth_date"] != id_number_birth_date(number):
            err("birth_date", "value.mismatch_id")
        if "gender" in values and values["gender"] != id_number_gender(number):
            err("gender", "value.mismatch_id")
    if "owner" in raw:
        if _USERNAME.match(raw["owner"]):
            values["owner"] = raw["owner"]
        else:
            err("owner", "value.invalid")
    for f in ("name", "email", "address", "occupation"):
        if f in raw:
            values[f] = raw[f]
    custom_values = _custom_values(raw, values["kind"], custom, err)
    if custom_values:
        values["custom"] = custom_values
    if "name" not in values and not any(e.field == "name" for e in errors):
        err("name", "value.required")
    if "id_number" not in raw and "phone" not in raw and not any(e.field in ("id_number", "phone") for e in errors):
        err("id_number", "import.no_key")

    # Everything else by the same schema a form or the API goes through (lengths, e-mail, control characters).
    if not errors:
        probe = {k: v for k, v in values.items() if k not in ("owner", "custom")}
        probe.setdefault("id_number", "0" * 18)  # matched by phone: the schema needs some ID to run
        try:
            parse(CustomerCreate, probe)
        except ValidationFailed as exc:
            for fe in exc.errors:
                err(fe.field if fe.field in col_of or fe.field in values else "row", fe.code, **fe.params)
    return RowResult(row_no, values, errors)


def row_key(values: dict) -> tuple:
    """What makes two rows of one file "the same row": identical canonical values."""
    return tuple(sorted((k, v.isoformat() if isinstance(v, (date, datetime)) else str(v))
                        for k, v in values.items()))
