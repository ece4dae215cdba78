"""Check digits of Bulgarian identifiers: ЕГН, ЛНЧ, ЕИК/БУЛСТАТ."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EGN_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6)
LNCH_WEIGHTS = (21, 19, 17, 13, 11, 9, 7, 3, 1)


def egn_birth_date(egn: str) -> date | None:
    """The birth date an ЕГН encodes (month +20 for 1800–1899, +40 for 2000–2099), or None."""
    year, month, day = int(egn[0:2]), int(egn[2:4]), int(egn[4:6])
    if month > 40:
        year, month = 2000 + year, month - 40
    elif month > 20:
        year, month = 1800 + year, month - 20
    else:
        year += 1900
    try:
        return date(year, month, day)
    except ValueError:
        return None


def egn_check_digit(first_nine: str) -> int:
    check = sum(int(d) * w for d, w in zip(first_nine, EGN_WEIGHTS, strict=False)) % 11
    return 0 if check == 10 else check


def egn_is_valid(egn: str) -> bool:
    if len(egn) != 10 or not egn.isdigit():
        return False
    if egn_birth_date(egn) is None:
        return False
    return egn_check_digit(egn[:9]) == int(egn[9])


def egn_compose(born: date, serial: int) -> str:
    """A valid ЕГН of someone born on `born` with the three-digit `serial` (its last digit even for
    a man, odd for a woman) — for demonstration data, tests and benchmarks."""
    month = born.month + (40 if born.year >= 2000 else 20 if born.year < 1900 else 0)
    digits = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial % 1000:03d}"
    return digits + str(egn_check_digit(digits))


def egn_sex(egn: str) -> str:
    """'male' or 'female': the ninth digit is even for men, odd for women."""
    return "male" if int(egn[8]) % 2 == 0 else "female"


def lnch_is_valid(lnch: str) -> bool:
    if len(lnch) != 10 or not lnch.isdigit():
        return False
    check = sum(int(d) * w for d, w in zip(lnch, LNCH_WEIGHTS, strict=False)) % 10
    return check == int(lnch[9])


def eik_is_valid(eik: str) -> bool:
    """ЕИК/БУЛСТАТ: 9 digits, or 13 digits for a branch, with their check digits."""
    if len(eik) not in (9, 13) or not eik.isdigit():
        return False
    d = [int(c) for c in eik]
    check = sum(d[i] * (i + 1) for i in range(8)) % 11
    if check == 10:
        check = sum(d[i] * (i + 3) for i in range(8)) % 11 % 10
    if check != d[8]:
        return False
    if len(eik) == 9:
        return True
    check = sum(d[8 + i] * w for i, w in enumerate((2, 7, 3, 5))) % 11
    if check == 10:
        check = sum(d[8 + i] * w for i, w in enumerate((4, 9, 5, 7))) % 11 % 10
    return check == d[12]


def validate_egn(value: str) -> None:
    if not egn_is_valid(value):
        raise ValidationError(_("“%(value)s” is not a valid ЕГН: check the digits."), code="invalid_egn", params={"value": value})


def validate_lnch(value: str) -> None:
    if not lnch_is_valid(value):
        raise ValidationError(_("“%(value)s” is not a valid ЛНЧ: check the digits."), code="invalid_lnch", params={"value": value})


def validate_eik(value: str) -> None:
    if not eik_is_valid(value):
        raise ValidationError(
            _("“%(value)s” is not a valid ЕИК/БУЛСТАТ: it must have 9 or 13 digits with a correct check digit."),
            code="invalid_eik",
            params={"value": value},
        )
