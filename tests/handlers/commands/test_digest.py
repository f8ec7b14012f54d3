"""The weekly digest (issue 13 item 4), over signed HTTP on both databases: each Monday at
the policy's digest_time it posts once to the digest channel, with every heading."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.policy.loader import default_policy_text, parse_policy
from tests.factories import ACME_CHANNEL, ACME_TEAM
from tests.harness import AGENT, MANAGER

DIGEST = "CMANAGERS"
MONDAY_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Mon 23 Nov, 09:00 London (GMT)


@pytest.fixture
def policy():
    text = default_policy_text() + f'\n[insights]\ndigest_channel = "{DIGEST}"\n'
    return parse_policy(text, "digest test policy")


def digests(standin) -> list[dict]:
    return standin.posted(DIGEST)


def test_the_digest_waits_for_monday_at_its_time_then_posts_once(acme, standin):
    acme.sweep()  # Friday
    acme.sweep(at=datetime(2026, 11, 23, 8, 59, tzinfo=UTC))
    assert digests(standin) == []
    for _ in range(3):
        acme.sweep(at=MONDAY_0900)
    acme.sweep(at=datetime(2026, 11, 24, 8, 59, tzinfo=UTC))  # a clock back within the day
    acme.sweep(at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # later that week
    (digest,) = digests(standin)
    assert digest["text"].startswith(":calendar: *Weekly digest, week of 2026-11-23*")
    acme.sweep(at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # the next Monday: a new one
    assert [d["text"].split("\n")[0] for d in digests(standin)] == [
        ":calendar: *Weekly digest, week of 2026-11-23*",
        ":calendar: *Weekly digest, week of 2026-11-30*",
    ]
    # Never in a customer's channel, nor the team's alerts channel.
    assert not [p for p in standin.posted(ACME_CHANNEL) if "digest" in p["text"]]
    assert not [p for p in standin.posted(ACME_TEAM) if "digest" in p["text"]]


def test_the_digest_lists_each_heading(acme, standin):
    acme.command("/hourglass customer add globex plan=professional", MANAGER)
    acme.command("/log 2h globex", AGENT)  # no block: 180.00 GBP to invoice
    acme.command("/hourglass hours add acme 10 purchased 2026-09-01", MANAGER)  # to 30 Nov
    acme.command("/ticket open acme priority Late opened 2026-11-20 01:00", AGENT)
    acme.command("/ticket respond 1", AGENT)  # 9h: past the 6h goal, 0 of 1 within
    acme.command("/call 61m acme jane", AGENT)  # over 60m: under review
    acme.command("/book acme 2026-11-20 15:00 1h", AGENT)
    acme.command("/book cancel 1", AGENT)  # under 24h before: a late cancellation
    acme.sweep(at=MONDAY_0900)
    (digest,) = digests(standin)
    text = digest["text"]
    # Last week's 30m late charge is the 8 weeks' only use: 3.75m a week, so 6 usable days
    # (24-29 Nov) use 3.21m of the 570m left: 566.79m = 9.45h forfeited on 30 Nov.
    assert "• *acme* #1: 9.45h projected to be forfeited on 2026-11-30 (at 0.06h a week)" in text
    assert "• *acme* #1: 9h 30m left, expires 2026-11-30 (in 7 days)" in text
    assert "• *acme*: 0.0% within so far; the goal can no longer be met this month" in text
    assert "• *acme* jane: under review (1h 1m this month)" in text
    assert "• *acme* #1 Fri 20 Nov 15:00: late cancellation, 30m charged" in text
    # acme's late charge came out of its block; globex's 2h has no block: 2 x 90.00.
    assert "*To invoice*\n• globex: 180.00 GBP\n• in all: *180.00 GBP*" in text
