"""Phone numbers as one search key, and the head office / branch rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from aftersales.customers.models import normalise_phone
from aftersales.customers.tests.factories import ContactFactory, CustomerFactory


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13800001234", "13800001234"),
        ("138 0000 1234", "13800001234"),
        ("138-0000-1234", "13800001234"),
        ("+86 138-0000-1234", "13800001234"),
        ("+8613800001234", "13800001234"),
        ("(+86) 138 0000 1234", "13800001234"),
        ("0086 13800001234", "13800001234"),
        ("8613800001234", "13800001234"),
        ("013800001234", "13800001234"),
        ("１３８００００１２３４", "13800001234"),
        ("023-6789 1234", "02367891234"),
        ("(023) 6789-1234", "02367891234"),
        ("+86 23 6789 1234", "02367891234"),
        ("+86 (0)23 6789 1234", "02367891234"),
        ("0086-23-67891234", "02367891234"),
        ("+86 10 1234 5678", "01012345678"),
        ("023-6789 1234 转 805", "02367891234"),
        ("023-6789 1234转805", "02367891234"),
        ("023-6789 1234 分机 805", "02367891234"),
        ("023-67891234-805", "02367891234"),
        ("010-12345678-8001", "01012345678"),
        ("138 0000 1234 ext. 12", "13800001234"),
        ("138 0000 1234 ext12", "13800001234"),
        ("138 0000 1234 extension 12", "13800001234"),
        ("138 0000 1234 x12", "13800001234"),
        ("138 0000 1234 X 12", "13800001234"),
        ("400-800-1234", "4008001234"),
        ("+86 400 800 1234", "4008001234"),
        ("6789 1234", "67891234"),
        ("+852 2345 6789", "85223456789"),
        ("", ""),
        ("   ", ""),
        ("无", ""),
    ],
)
def test_a_phone_number_is_normalised_to_its_national_digits(raw, normalised):
    assert normalise_phone(raw) == normalised


@pytest.mark.django_db
def test_a_contact_keeps_its_normalised_numbers_current():
    contact = ContactFactory(phone="023-6789 1234 转 805", mobile="+86 139 0000 1111")

    assert (contact.phone_normalised, contact.mobile_normalised) == ("02367891234", "13900001111")

    contact.mobile = "0086 138 0000 2222"
    contact.save(update_fields=["mobile"])
    contact.refresh_from_db()
    assert contact.mobile_normalised == "13800002222"


@pytest.mark.django_db
def test_a_branch_of_a_branch_is_refused():
    head = CustomerFactory()
    branch = CustomerFactory(parent=head)
    sub_branch = CustomerFactory.build(parent=branch)

    with pytest.raises(ValidationError, match="must not itself be a branch"):
        sub_branch.clean()
