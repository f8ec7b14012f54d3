"""`hourglass policy rerate --from DATE` (issue 16): a December rate edited after the fact is
refused at start-up; a re-rate shows every affected statement before and after and changes
nothing without --yes; with it, start-up accepts the file and December's statement (read over
signed HTTP) has the new rate. Issued statements stay as issued. Both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.errors import ConfigError, Conflict, InputError
from bot.policy.loader import default_policy_text, parse_policy
from bot.reports.policy_record import check_recorded
from bot.reports.rerate import rerate
from store.models import PolicyVersionRecord
from tests.harness import AGENT, MANAGER, SlackApp

RATE = '\n[[versions]]\neffective_from = "2026-12-01"\nprovider.hourly_rate = "{}"\n'
RECORDED = default_policy_text() + RATE.format("120.00")
EDITED = default_policy_text() + RATE.format("130.00")
DEC_2 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
DEC_3 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
DEC_1 = date(2026, 12, 1)

BEFORE_AFTER = (
    "Re-rating from 2026-12-01: statements whose figures change:\n"
    "acme 2026-12: billed 1h → 1h; overage 1h → 1h; amount 120.00 → 130.00 GBP\n"
    "Issued statements stay as issued: a change to an issued month's figures appears as an "
    "adjustment in the next open month, and that month is the one listed.\n"
)


def restart(slack: SlackApp, text: str) -> SlackApp:
    slack.close()
    return SlackApp(slack.database, parse_policy(text, "policy.toml"), slack.standin, slack.clock)


@pytest.fixture
def december(acme):
    """35m logged for acme on Fri 20 Nov (90.00/h) and on Wed 2 Dec (120.00/h, recorded)."""
    acme.command("/log 35m acme", AGENT)
    acme.clock.set(DEC_2)
    with acme.database.session() as db:
        check_recorded(db, parse_policy(RECORDED, "policy.toml"), DEC_2)
    app = restart(acme, RECORDED)
    assert "overage, 120.00 GBP" in app.command("/log 35m acme", AGENT).text
    app.clock.set(DEC_3)
    yield app
    app.close()


def recorded_rows(database) -> list[tuple[date | None, str, date | None]]:
    with database.session() as db:
        query = select(PolicyVersionRecord).where(PolicyVersionRecord.superseded_at.is_(None))
        return sorted(
            ((r.effective_from, r.recorded_by, r.rerated_from) for r in db.scalars(query)),
            key=lambda row: row[0] or date.min,
        )


def test_a_december_rate_edited_after_the_fact_is_refused_at_start_up(december):
    edited = parse_policy(EDITED, "policy.toml")
    with pytest.raises(ConfigError) as refused, december.database.session() as db:
        check_recorded(db, edited, DEC_3)
    assert "provider.hourly_rate changed from 2026-12-01, a day already past" in str(refused.value)
    assert "`hourglass policy rerate --from 2026-12-01`" in str(refused.value)


def test_without_yes_the_rerate_shows_before_and_after_and_changes_nothing(december):
    edited = parse_policy(EDITED, "policy.toml")
    rows = recorded_rows(december.database)
    with december.database.session() as db:
        shown = rerate(db, edited, DEC_1, DEC_3, commit=False).describe("GBP", DEC_3)
    assert shown == BEFORE_AFTER + "Nothing has changed yet: run it again with --yes to re-rate."
    assert recorded_rows(december.database) == rows
    with pytest.raises(ConfigError), december.database.session() as db:
        check_recorded(db, edited, DEC_3)
    assert "120.00 GBP" in december.command("/hourglass report acme 2026-12", MANAGER).text


def test_with_yes_start_up_accepts_and_december_has_the_new_rate(december):
    november = december.command("/hourglass report acme 2026-11", MANAGER).text
    edited = parse_policy(EDITED, "policy.toml")
    with december.database.session() as db:
        shown = rerate(db, edited, DEC_1, DEC_3, commit=True).describe("GBP", DEC_3)
    assert shown == BEFORE_AFTER + (
        "Re-rated: the policy file's versions are recorded from 2026-12-01 (by cli, "
        "2026-12-03 10:00 UTC); start-up now accepts the file."
    )
    assert recorded_rows(december.database) == [(None, "cli", DEC_1), (DEC_1, "cli", DEC_1)]
    with december.database.session() as db:
        check_recorded(db, edited, DEC_3)  # accepted: no ConfigError
    after = restart(december, EDITED)
    try:
        text = after.command("/hourglass report acme 2026-12", MANAGER).text
        assert "130.00 GBP" in text and "120.00 GBP" not in text, text
        assert after.command("/hourglass report acme 2026-11", MANAGER).text == november
    finally:
        after.close()


def test_an_issued_month_stays_as_issued_and_its_change_is_the_next_months_adjustment(december):
    assert "issued" in december.command("/hourglass report acme 2026-11 issue", MANAGER).text
    issued = december.command("/hourglass report acme 2026-11", MANAGER).text
    november = '\n[[versions]]\neffective_from = "2026-11-01"\nprovider.hourly_rate = "100.00"\n'
    november_rate = default_policy_text() + november + RATE.format("120.00")
    with december.database.session() as db:
        policy = parse_policy(november_rate, "policy.toml")
        shown = rerate(db, policy, date(2026, 11, 1), DEC_3, commit=True).describe("GBP", DEC_3)
    assert (
        "acme 2026-12: billed 1h → 1h; overage 1h → 1h; amount 120.00 → 130.00 GBP "
        "(as the adjustment for issued 2026-11)"
    ) in shown, shown
    after = restart(december, november_rate)
    try:
        assert after.command("/hourglass report acme 2026-11", MANAGER).text == issued
        text = after.command("/hourglass report acme 2026-12", MANAGER).text
        assert "adjustment for 2026-11" in text and "+10.00 GBP" in text, text
    finally:
        after.close()


def test_refusals_change_nothing(december):
    edited = parse_policy(EDITED, "policy.toml")
    rows = recorded_rows(december.database)
    later = pytest.raises(Conflict, match=r"changes provider.hourly_rate from 2026-12-01, before")
    with later, december.database.session() as db:
        rerate(db, edited, date(2026, 12, 2), DEC_3, commit=True)
    future = pytest.raises(InputError, match="2026-12-10 is still to come")
    with future, december.database.session() as db:
        rerate(db, edited, date(2026, 12, 10), DEC_3, commit=True)
    assert recorded_rows(december.database) == rows
    with december.database.session() as db:
        same = rerate(db, parse_policy(RECORDED, "p"), DEC_1, DEC_3, commit=True)
    base = pytest.raises(Conflict, match="hourly_rate from the beginning, before 2026-12-01")
    with base, december.database.session() as db:
        policy = parse_policy(EDITED.replace('hourly_rate = "90.00"', 'hourly_rate = "95.00"'), "p")
        rerate(db, policy, DEC_1, DEC_3, commit=True)
    assert same.describe("GBP", DEC_3).startswith("nothing to re-rate")
    assert recorded_rows(december.database) == rows
