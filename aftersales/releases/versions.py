"""Software versions and version specs: which versions a release applies to, or a bulletin affects.

A spec is a comma-separated list of alternatives; a unit's version matches
when it matches any of them. An alternative is one or more conditions
separated by spaces, all of which must hold:

* ``2.1.3`` — exactly that version (``2.1`` and ``2.1.0`` are the same);
* ``2.1.*`` — any version whose leading components are ``2.1`` (``2.1``,
  ``2.1.0``, ``2.1.9.4``, not ``2.10``); ``*`` alone is every version;
* ``>=2.0``, ``>2.0``, ``<=2.3``, ``<2.3`` — a bound.

So ``"2.1.*, >=2.2 <2.2.5"`` is every 2.1 version and 2.2 up to 2.2.4.
Versions compare component by component, numbers as numbers (``2.10`` is
after ``2.9``); a component with letters (``3rc1``) compares after the
numbers by its text. A blank spec matches every version.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from aftersales.core.errors import InvalidInput

_COMPONENT = re.compile(r"^[0-9A-Za-z_-]+$")
_CONDITION = re.compile(r"^(>=|<=|>|<|==)?\s*([0-9A-Za-z_.*-]+)$")


def _parts(version: str) -> list[str]:
    return [part for part in version.strip().lower().lstrip("v").split(".")]


def _components(version: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _parts(version))


def version_key(version: str) -> tuple:
    """A key that sorts versions as people read them; trailing ``.0`` components do not matter."""
    key = _components(version)
    while len(key) > 1 and key[-1] == (0, 0, ""):
        key = key[:-1]
    return key


def is_valid_version(version: str) -> bool:
    version = (version or "").strip()
    return bool(version) and len(version) <= 40 and all(_COMPONENT.match(p) for p in _parts(version))


def _parse(spec: str) -> list[list[tuple[str, str]]]:
    alternatives = []
    for alternative in (spec or "").split(","):
        alternative = alternative.strip()
        if not alternative:
            continue
        # ">= 2.0" may be typed with a space after the operator.
        alternative = re.sub(r"(>=|<=|>|<|==)\s+", r"\1", alternative)
        conditions = []
        for token in alternative.split():
            match = _CONDITION.match(token)
            if match is None:
                raise InvalidInput(_("“%(token)s” is not a version condition.") % {"token": token})
            operator, version = match.group(1) or "==", match.group(2)
            if "*" in version:
                if operator != "==" or not (version == "*" or version.endswith(".*")) or "*" in version[:-1]:
                    raise InvalidInput(
                        _("Write a wildcard as the last component, like 2.1.* (not “%(token)s”).")
                        % {"token": token}
                    )
            elif not is_valid_version(version):
                raise InvalidInput(_("“%(token)s” is not a version condition.") % {"token": token})
            conditions.append((operator, version))
        alternatives.append(conditions)
    return alternatives


def validate_spec(spec: str) -> str:
    """The spec, tidied, or ``InvalidInput`` saying which part is wrong."""
    spec = (spec or "").strip()
    if len(spec) > 300:
        raise InvalidInput(_("A version spec has at most 300 characters."))
    _parse(spec)
    return spec


def _holds(operator: str, pattern: str, version: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        prefix = _components(pattern[:-2])
        key = _components(version)
        padded = key + ((0, 0, ""),) * max(len(prefix) - len(key), 0)
        return padded[: len(prefix)] == prefix
    left, right = version_key(version), version_key(pattern)
    return {
        "==": left == right,
        ">=": left >= right,
        ">": left > right,
        "<=": left <= right,
        "<": left < right,
    }[operator]


def matches(version: str, spec: str) -> bool:
    """Whether ``version`` is one the spec names (a blank spec names every version)."""
    if not (version or "").strip():
        return False
    alternatives = _parse(spec)
    if not alternatives:
        return True
    return any(all(_holds(op, pattern, version) for op, pattern in conditions) for conditions in alternatives)
