from __future__ import annotations

import pytest

from aftersales.core.errors import InvalidInput
from aftersales.releases.versions import matches, validate_spec, version_key


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        ("2.1.3", "2.1.3", True),
        ("2.1.0", "2.1", True),
        ("2.1.3", "2.1.4", False),
        ("2.1.3", "2.1.*", True),
        ("2.1", "2.1.*", True),
        ("2.10.1", "2.1.*", False),
        ("2.0.5", "2.0.*", True),
        ("2.1.0", "2.0.*", False),
        ("9.9", "*", True),
        ("2.2.4", ">=2.2 <2.2.5", True),
        ("2.2.5", ">=2.2 <2.2.5", False),
        ("2.1.9", "2.1.*, >=2.2 <2.2.5", True),
        ("2.3", "2.1.*, >=2.2 <2.2.5", False),
        ("2.10", ">2.9", True),
        ("2.1.3", ">= 2.1.3", True),
        ("3.2.1", "", True),
        ("", "", False),
    ],
)
def test_a_version_matches_a_spec_as_documented(version, spec, expected):
    assert matches(version, spec) is expected


def test_versions_sort_numerically_and_ignore_trailing_zeros():
    assert version_key("2.10") > version_key("2.9")
    assert version_key("3.0.0") == version_key("3")
    assert version_key("3.1rc1") > version_key("3.1.0")


@pytest.mark.parametrize("spec", ["2.*.1", "~2.1", ">2.*", "2.1;rm"])
def test_a_malformed_spec_is_refused_with_a_message(spec):
    with pytest.raises(InvalidInput):
        validate_spec(spec)
