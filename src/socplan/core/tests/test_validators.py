from datetime import date

import pytest
from django.core.exceptions import ValidationError

from socplan.core.validators import (
    egn_birth_date,
    egn_is_valid,
    egn_sex,
    eik_is_valid,
    lnch_is_valid,
    validate_egn,
    validate_eik,
)


def test_egn_from_the_domain_notes_is_valid():
    assert egn_is_valid("8032056031")
    assert egn_birth_date("8032056031") == date(1880, 12, 5)


@pytest.mark.parametrize(
    ("egn", "born"),
    [("7501020018", date(1975, 1, 2)), ("0541150002", date(2005, 1, 15)), ("8032056031", date(1880, 12, 5))],
)
def test_egn_month_offsets_give_the_century(egn, born):
    assert egn_birth_date(egn) == born


@pytest.mark.parametrize("egn", ["8032056030", "803205603", "80320560311", "ABCDEFGHIJ", "7513010010"])
def test_wrong_egn_is_refused(egn):
    assert not egn_is_valid(egn)
    with pytest.raises(ValidationError):
        validate_egn(egn)


def test_egn_ninth_digit_gives_sex():
    assert egn_sex("8032056031") == "female"  # 3 is odd
    assert egn_sex("0541150002") == "male"  # 0 is even


def test_lnch_check_digit():
    assert lnch_is_valid("7111042925")
    assert not lnch_is_valid("7111042926")


@pytest.mark.parametrize("eik", ["000695089", "831641791", "121113109", "8316417910124"])
def test_valid_eik(eik):
    assert eik_is_valid(eik)


@pytest.mark.parametrize("eik", ["000695088", "12345", "8316417910125", "abcdefghi"])
def test_invalid_eik(eik):
    assert not eik_is_valid(eik)
    with pytest.raises(ValidationError):
        validate_eik(eik)
