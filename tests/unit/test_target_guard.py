"""The guard's matching rule: case-insensitive regexes matched as whole words (letters)."""

from __future__ import annotations

import pytest

from dwtui.checklist.model import Guard
from dwtui.targets.guard import GuardRefused, check_guard, refusal

GUARD = Guard(forbid=("prod", "production"))


@pytest.mark.parametrize(
    "value",
    [
        "prod",
        "PROD",
        "prod-eu",
        "eu.prod.internal",
        "gke_prod2",
        "prod01",
        "Production",
        "production-db.internal",
        "arn:aws:eks:eu-west-1:1:cluster/prod",
    ],
)
def test_refuses_production_names(value: str) -> None:
    with pytest.raises(
        GuardRefused, match=r"refused by guard: context .* matches forbidden pattern"
    ):
        check_guard(GUARD, {"context": value})


@pytest.mark.parametrize(
    "value", ["staging", "product-catalog", "nonprod", "preprod-sandbox", "reproduction", ""]
)
def test_allows_other_names(value: str) -> None:
    check_guard(GUARD, {"context": value, "namespace": "deltacrown"})
    assert refusal(GUARD, {"host": value}) is None


def test_every_fact_is_checked_and_named() -> None:
    message = refusal(
        GUARD, {"context": "staging", "namespace": "deltacrown", "host": "db.prod.local"}
    )
    assert message == (
        "refused by guard: host 'db.prod.local' matches forbidden pattern 'prod'; nothing was sent"
    )


def test_patterns_are_regexes_and_bad_ones_stay_literal() -> None:
    assert refusal(Guard(forbid=(r"prod\w*",)), {"ns": "product-catalog"}) is not None
    assert refusal(Guard(forbid=(r"live|prd",)), {"ns": "eu-prd"}) is not None
    assert refusal(Guard(forbid=(r"\w*prod\w*",)), {"ns": "myprodcluster"}) is not None
    # an invalid regex is matched literally: the guard never silently disables itself
    assert refusal(Guard(forbid=("prod[",)), {"ns": "x-prod[-y"}) is not None
    assert refusal(Guard(forbid=("prod[",)), {"ns": "prod"}) is None


def test_empty_guard_allows_everything() -> None:
    check_guard(Guard(), {"context": "production"})
