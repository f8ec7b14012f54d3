"""Policy versions (issue 16) for the rules applied when something happens: a booking's
notice rule is the version in force when it is cancelled, moved or missed, and a call's
fair-use alerts use the version of the call's month. The provider has already put a December
version in the file; November's cancellations and calls keep November's rules. Over signed
HTTP, both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.customers import get_customer
from bot.policy.loader import default_policy_text, parse_policy
from bot.reports.statement import build_statement
from store.models import Alert

DECEMBER = """
[[versions]]
effective_from = "2026-12-01"
[versions.cancellation]
free_notice = "8h"
late_charge = "60m"
no_show_charge = "60m"
[versions.fair_use]
allowance_per_user = "90m"
review_per_user = "120m"
"""


@pytest.fixture
def policy():
    """The bundled policy with a December version added in advance."""
    return parse_policy(default_policy_text() + DECEMBER, "policy.toml")


@pytest.fixture
def acme_channel():
    return "CACME"


def statement(slack, month=(2026, 11)) -> dict:
    with slack.database.session() as db:
        customer = get_customer(db, "acme")
        return build_statement(db, slack.policy, customer, *month, slack.clock.now())


def alert_keys(database) -> list[str]:
    with database.session() as db:
        return sorted(db.scalars(select(Alert.key)))


# --- the notice rule: the version in force when it is cancelled --------------------------------


def test_a_november_cancellation_keeps_novembers_notice_and_charge(acme):
    acme.command("/book acme tomorrow 09:00 1h")  # Sat 21 Nov 09:00, 23 h ahead (Fri 10:00)
    reply = acme.command("/book cancel #1")
    # November's version: 24h notice, 30m billed (December's 8h would make it free).
    assert "cancelled late (less than 24h notice): 30m billed" in reply.text, reply.text
    (session,) = statement(acme)["sessions"]
    assert (session["status"], session["billed_minutes"]) == ("late_cancelled", 30)


def test_a_december_cancellation_takes_decembers_notice_and_charge(acme):
    acme.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    acme.command("/book acme 2026-12-02 09:00 1h")  # 23 h ahead: free under 8h notice
    assert "nothing is billed" in acme.command("/book cancel #1").text
    acme.command("/book acme 2026-12-01 15:00 1h")  # 5 h ahead: late, 60m billed
    reply = acme.command("/book cancel #2")
    assert "cancelled late (less than 8h notice): 1h billed" in reply.text, reply.text


def test_a_november_move_and_no_show_keep_novembers_charges(acme):
    acme.command("/book acme tomorrow 09:00 1h")  # 23 h ahead
    quote = acme.command("/book move #1 2026-11-23 09:00").text
    assert "less than the 24h notice" in quote and "bills 30m" in quote, quote
    acme.command("/book acme 2026-11-20 11:00 1h")
    acme.clock.set(datetime(2026, 11, 20, 11, 30, tzinfo=UTC))
    assert "30m billed" in acme.command("/book noshow #2").text


# --- fair use: the version of the call's month ------------------------------------------------


def test_a_november_call_is_measured_against_novembers_allowance(acme):
    reply = acme.command("/call 50m acme jane")
    assert "jane: 50m this month (2026-11) of 45m allowance — over allowance" in reply.text
    assert "fair_use_allowance:1:jane:2026-11" in alert_keys(acme.database)
    (row,) = statement(acme)["calls"]
    assert (row["allowance_minutes"], row["status"]) == (45, "over_allowance")


def test_a_december_call_is_measured_against_decembers_allowance(acme):
    acme.clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    reply = acme.command("/call 50m acme jane")
    assert "jane: 50m this month (2026-12) of 1h 30m allowance — within allowance" in reply.text
    assert not [k for k in alert_keys(acme.database) if k.startswith("fair_use_allowance")]
