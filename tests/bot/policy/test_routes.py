"""[alerts.routes]: who each alert kind is for, validated like every policy key, and the
routing it drives (SPEC §5). Internal kinds never reach a customer's channel."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.alerts.outbox import customer_key, destinations
from bot.policy.loader import default_policy_text, load_policy, parse_policy
from bot.policy.reader import PolicyError
from bot.policy.routes import AUDIENCES, CUSTOMER_FACING, DEFAULT_ROUTES, INTERNAL
from store.models import Customer


def with_routes(lines: str):
    return parse_policy(default_policy_text() + "\n[alerts.routes]\n" + lines, "p.toml")


def test_the_default_sends_nothing_internal_to_the_customer():
    routes = load_policy().alerts.routes
    assert routes == DEFAULT_ROUTES
    assert {kind for kind, to in routes.items() if to != "team"} == {
        "block_expiring",
        "block_expired",
        "booking_confirmed",
        "booking_cancelled",
        "booking_moved",
        "booking_reminder",
        "ticket_received",
    }


def test_a_customer_facing_kind_may_be_routed():
    policy = with_routes('block_low = "both"\nbooking_reminder = "team"')
    assert policy.alerts.route("block_low") == "both"
    assert policy.alerts.route("booking_reminder") == "team"
    assert policy.alerts.route("sla_breach") == "team"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('sla_breach = "customer"', "sla_breach: is internal"),
        ('fair_use_review = "both"', "fair_use_review: is internal"),
        ('block_low = "everyone"', 'block_low: must be "team", "customer" or "both"'),
        ('sla_breached = "team"', "sla_breached: unknown key"),
        ('timer_forgotten = "team"', "is a direct message to one person"),
    ],
)
def test_bad_routes_name_the_line(line, message):
    with pytest.raises(PolicyError) as error:
        with_routes(line)
    assert message in str(error.value) and "p.toml, line" in str(error.value)


def customer(support: str | None, team: str | None) -> Customer:
    return Customer(id=1, name="acme", plan="professional", channel_id=support, team_channel=team)


def test_both_gives_the_team_the_key_and_the_customer_a_copy():
    policy = load_policy()
    copies = destinations(policy, "block_expiring", "k", customer("CSUP", "CTEAM"))
    assert [(c.audience, c.channel, c.key) for c in copies] == [
        ("team", "CTEAM", "k"),
        ("customer", "CSUP", customer_key("k")),
    ]


def test_a_team_channel_that_is_the_customers_own_counts_as_none():
    policy = replace(load_policy(), alert_channel="CSUP")
    (only,) = destinations(policy, "sla_breach", "k", customer("CSUP", None))
    assert only.channel == ""


channels = st.sampled_from([None, "CA", "CB", "CC"])


@given(
    kind=st.sampled_from(sorted(DEFAULT_ROUTES)),
    audience=st.sampled_from(AUDIENCES),
    support=channels,
    team=channels,
    provider=channels,
)
def test_no_internal_kind_is_ever_routed_to_the_support_channel(
    kind, audience, support, team, provider
):
    routes = {**DEFAULT_ROUTES, **({kind: audience} if kind in CUSTOMER_FACING else {})}
    policy = load_policy()
    policy = replace(policy, alert_channel=provider, alerts=replace(policy.alerts, routes=routes))
    copies = destinations(policy, kind, "k", customer(support, team), thread_ts="1.2")
    assert copies and len({c.key for c in copies}) == len(copies)
    if kind in INTERNAL or routes[kind] == "team":
        assert all(c.channel != support or support is None for c in copies)
        assert all(c.audience == "team" and c.thread_ts is None for c in copies)
