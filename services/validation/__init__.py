"""Input validation: pure normalisers that return canonical values or raise InvalidValue."""
from services.validation.identity import (
    InvalidValue,
    id_check_digit,
    id_number_birth_date,
    id_number_gender,
    make_id_number,
    normalize_id_number,
    normalize_phone,
    normalize_uscc,
    uscc_check_char,
)

__all__ = [
    "InvalidValue",
    "id_check_digit",
    "id_number_birth_date",
    "id_number_gender",
    "make_id_number",
    "normalize_id_number",
    "normalize_phone",
    "normalize_uscc",
    "uscc_check_char",
]
