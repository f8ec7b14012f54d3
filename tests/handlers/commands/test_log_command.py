"""/log, /log list, /log undo, hour-block drawdown, statements and block alerts, over signed HTTP.

The clock stands at Fri 20 Nov 2026 10:00 UTC; the agent's Slack timezone is Europe/London.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import app as hourglass_app
from bot.reports.statement import build_statement
from store.models import Alert, HourBlock, TimeEntry
from tests.factories import ACME_CHANNEL, ACME_TEAM
from tests.harness import AGENT, MANAGER, STRANGER

CHANNEL = ACME_CHANNEL


def count(database, model) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def statement(slack, customer="acme", year=2026, month=11):
    from bot.customers import get_customer

    with slack.database.session() as db:
        return build_statement(
            db, slack.policy, get_customer(db, customer), year, month, slack.clock.now()
        )


def block(statement_, block_id):
    (row,) = [b for b in statement_["blocks"] if b["id"] == str(block_id)]
    return row


# --- The seed's examples --------------------------------------------------------------------


def test_five_and_thirty_minutes_on_one_day_bill_one_hour(acme):
    first = acme.command("/log 5m acme", AGENT)
    assert first.status == 200 and first.body["response_type"] == "ephemeral"
    assert "acme, Fri 20 Nov: 5m logged → 30m billed" in first.text
    second = acme.command("/log 30m acme", AGENT)
    assert (
        "acme, Fri 20 Nov: 5m + 30m = 35m logged → 1h billed "
        "(30-minute increments, rounded once daily)" in second.text
    )
    assert "No hour block covers 1h of it: overage, 90.00 GBP" in second.text
    data = statement(acme)
    assert data["days"] == [{"date": "2026-11-20", "logged_minutes": 35, "billed_minutes": 60}]
    assert (data["billed_minutes"], data["overage_minutes"], data["amount"]) == (60, 60, "90.00")


def test_raw_and_billed_minutes_are_both_kept(acme):
    acme.command("/log 5m acme", AGENT)
    acme.command("/log 30m acme", AGENT)
    with acme.database.session() as db:
        assert sorted(db.scalars(select(TimeEntry.minutes))) == [5, 30]
    assert statement(acme)["days"][0]["logged_minutes"] == 35


def test_general_support_is_recorded_and_never_billed(acme):
    acme.command("/hourglass hours add acme 10", MANAGER)
    reply = acme.command("/log 45m acme general answered a question about invoices", AGENT)
    assert "Logged 45m general for acme on Fri 20 Nov" in reply.text
    assert "General support is recorded and never billed." in reply.text
    assert "billed" not in reply.text.replace("never billed", "")
    assert count(acme.database, TimeEntry) == 1
    data = statement(acme)
    assert data["days"] == [] and data["billed_minutes"] == 0
    assert block(data, 1)["remaining_minutes"] == 600


def test_a_block_is_valid_for_ninety_days_from_purchase(acme):
    reply = acme.command("/hourglass hours add acme 10 purchased 2026-09-01", MANAGER)
    # Valid on 29 Nov, not on 30 Nov: the reply must not say "until 30 Nov".
    assert "usable through Sun 29 Nov 2026 (expires Mon 30 Nov" in reply.text
    assert block(statement(acme), 1)["expires"] == "2026-11-30"


# --- The Done-when scenario -----------------------------------------------------------------


def test_older_block_is_drawn_first_and_its_expiry_is_alerted_once(acme, standin):
    # Bought 80 days ago (expires 2026-11-30) and 10 days ago (expires 2027-02-08).
    acme.command("/hourglass hours add acme 10 purchased 2026-09-01 ref=PO-1", MANAGER)
    acme.command("/hourglass hours add acme 10 purchased 2026-11-10 ref=PO-2", MANAGER)
    acme.command("/log 5m acme", AGENT)
    reply = acme.command("/log 30m acme", AGENT)
    assert "35m logged → 1h billed" in reply.text
    assert (
        "Drawn from block #1 (10h bought 2026-09-01, expires 2026-11-30): 1h; "
        "9h left in it." in reply.text
    )
    data = statement(acme)
    assert (block(data, 1)["used_minutes"], block(data, 2)["used_minutes"]) == (60, 0)
    assert block(data, 1)["expires"] == "2026-11-30"  # 90 days after purchase

    # 10 days before expiry: the 14-day warning, once, however many sweeps.
    for _ in range(3):
        acme.sweep()
    (warning,) = standin.posted(CHANNEL)
    assert warning["text"].startswith(":hourglass: *acme*: hour block #1 (10h, bought 2026-09-01)")
    assert "expires in 10 days, on 2026-11-30, with 9h of 10h unused (1h used)" in warning["text"]

    acme.sweep(at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # 7 days before
    acme.sweep(at=datetime(2026, 11, 29, 9, 0, tzinfo=UTC))  # 1 day before
    acme.sweep(at=datetime(2026, 11, 29, 18, 0, tzinfo=UTC))
    texts = [p["text"] for p in standin.posted(CHANNEL)]
    assert len(texts) == 3
    assert "expires in 7 days" in texts[1] and "expires tomorrow" in texts[2]

    for hour in (0, 1, 12):  # expiry day, swept three times
        acme.sweep(at=datetime(2026, 11, 30, hour, 30, tzinfo=UTC))
    texts = [p["text"] for p in standin.posted(CHANNEL)]
    assert len(texts) == 4
    assert (
        "hour block #1 (10h, bought 2026-09-01) expired on 2026-11-30: 1h used, 9h unused and forfeited"
        in texts[3]
    )
    with acme.database.session() as db:
        expired = db.get(HourBlock, 1)
        assert expired.forfeited_minutes == 540 and expired.expired_recorded_at is not None
        assert db.get(HourBlock, 2).expired_recorded_at is None
    data = statement(acme)
    assert (block(data, 1)["status"], block(data, 1)["forfeited_minutes"]) == ("expired", 540)
    # Only the live block counts towards the balance now.
    balance = acme.command("/balance acme", AGENT).text
    assert "Remaining: *10h*" in balance
    assert "Forfeited at expiry: #1 lost 9h unused on 2026-11-30." in balance


def test_work_back_dated_into_an_expired_block_reduces_its_recorded_forfeit(acme, standin):
    acme.command("/hourglass hours add acme 10 purchased 2026-08-20", MANAGER)  # expired 18 Nov
    acme.sweep()
    # The expiry goes to both the customer and the team; low balance to the team only.
    (expired,) = standin.posted(CHANNEL)
    team_expired, low = standin.posted(ACME_TEAM)
    assert "0m used, 10h unused and forfeited" in expired["text"]
    assert team_expired["text"] == expired["text"]
    assert "every block is used up or expired" in low["text"]
    reply = acme.command("/log 2h acme on 2026-11-17 late paperwork for the audit", AGENT)
    assert "Drawn from block #1" in reply.text and "it has expired, 8h forfeited" in reply.text
    with acme.database.session() as db:
        assert db.get(HourBlock, 1).forfeited_minutes == 480
    acme.command("/log undo", AGENT)
    with acme.database.session() as db:
        assert db.get(HourBlock, 1).forfeited_minutes == 600
    acme.sweep()
    assert len(standin.posted(CHANNEL)) == 1 and len(standin.posted(ACME_TEAM)) == 2


def test_expiring_warning_skips_a_block_with_nothing_left(acme, standin):
    acme.command("/hourglass hours add acme 1 purchased 2026-09-01", MANAGER)
    acme.command("/log 1h acme", AGENT)
    acme.sweep()
    assert [p for p in standin.posted(CHANNEL) if "expires in" in p["text"]] == []


def test_late_sweep_sends_only_the_most_urgent_warning(acme, standin):
    acme.command("/hourglass hours add acme 10 purchased 2026-08-24", MANAGER)  # expires 22 Nov
    acme.sweep()
    (warning,) = standin.posted(CHANNEL)
    assert "expires in 2 days" in warning["text"]
    with acme.database.session() as db:
        # One warning, the 7-day one: the team's copy and the customer's (beside the team's
        # forfeit_risk, issue 13: 10h unused two days before expiry).
        warnings = select(Alert).where(Alert.kind == "block_expiring").order_by(Alert.id)
        assert [a.key for a in db.scalars(warnings)] == [
            "block_expiring:1:7",
            "block_expiring:1:7:customer",
        ]


# --- Draw-down is derived, so back-dating and undo recompute it ------------------------------


def test_back_dated_entry_takes_the_block_valid_on_its_date(acme):
    acme.command("/hourglass hours add acme 1 purchased 2026-10-01", MANAGER)  # expires 30 Dec
    acme.command("/hourglass hours add acme 5 purchased 2026-11-01", MANAGER)  # expires 30 Jan
    today = acme.command("/log 1h acme", AGENT)
    assert "Drawn from block #1" in today.text
    back = acme.command("/log 1h acme on 2026-10-20 migrated the mail server", AGENT)
    assert "Logged 1h 1-on-1 for acme on Tue 20 Oct" in back.text
    assert "acme, Tue 20 Oct: 1h logged → 1h billed" in back.text
    # 20 Oct came first and only block #1 was valid then, so today's hour moves to block #2.
    assert "Drawn from block #1" in back.text and "0m left in it" in back.text
    data = statement(acme)
    assert (block(data, 1)["used_minutes"], block(data, 2)["used_minutes"]) == (60, 60)
    assert statement(acme, month=10)["days"] == [
        {"date": "2026-10-20", "logged_minutes": 60, "billed_minutes": 60}
    ]


def test_undo_takes_back_the_last_entry_and_recomputes(acme):
    acme.command("/hourglass hours add acme 10", MANAGER)
    acme.command("/log 5m acme", AGENT)
    acme.command("/log 30m acme setup printer", AGENT)
    reply = acme.command("/log undo", AGENT)
    assert reply.text.startswith(
        ':leftwards_arrow_with_hook: Undid 30m 1-on-1 for acme on Fri 20 Nov (setup): "printer".'
    )
    assert "acme, Fri 20 Nov: 5m logged → 30m billed" in reply.text
    assert "9h 30m left in it" in reply.text
    assert statement(acme)["days"] == [
        {"date": "2026-11-20", "logged_minutes": 5, "billed_minutes": 30}
    ]
    # Nothing is lost: the undone entry is still there, marked.
    with acme.database.session() as db:
        undone = db.scalar(select(TimeEntry).where(TimeEntry.minutes == 30))
        assert undone.undone_at == acme.clock.now()
    assert "no 1-on-1 time logged, nothing billed" in acme.command("/log undo", AGENT).text
    assert "nothing logged on Fri 20 Nov" in acme.command("/log list", AGENT).text
    assert statement(acme)["days"] == []
    assert "nothing logged to undo" in acme.command("/log undo", AGENT).text
    assert count(acme.database, TimeEntry) == 2


def test_undo_is_per_agent(acme):
    acme.command("/log 30m acme", AGENT)
    acme.command("/log 20m acme", MANAGER)
    reply = acme.command("/log undo", AGENT)
    assert "Undid 30m" in reply.text
    assert "acme, Fri 20 Nov: 20m logged → 30m billed" in reply.text


def test_list_shows_the_agents_entries_for_a_day(acme):
    acme.command("/hourglass customer add globex plan=lite", MANAGER)
    acme.command("/log 5m acme", AGENT)
    acme.command("/log 1:30 globex general kickoff call with the new team", AGENT)
    acme.command("/log 2h acme on yesterday", AGENT)
    acme.command("/log 10m acme", MANAGER)
    text = acme.command("/log list", AGENT).text
    assert text.splitlines() == [
        "Your time on Fri 20 Nov: 1h 35m in 2 entries",
        "• #1 5m 1-on-1 for acme",
        '• #2 1h 30m general for globex (kickoff): "call with the new team"',
    ]
    assert "• #3 2h 1-on-1 for acme" in acme.command("/log list on yesterday", AGENT).text
    assert "nothing logged on Sat 21 Nov" in acme.command("/log list on 2026-11-21", AGENT).text
    # `on` may be left out, as in /log (issue 19); what is no date is still refused.
    assert "nothing logged on Sat 21 Nov" in acme.command("/log list tomorrow", AGENT).text
    assert "Usage: `/log list [@agent] [on <date>]`" in acme.command("/log list acme", AGENT).text


def test_durations_in_every_spelling(acme):
    for spelling in ("90m", "1h30m", "1.5h", "1:30"):
        acme.clock.advance(timedelta(seconds=61))  # the same entry within 60 s asks first
        assert "Logged 1h 30m 1-on-1" in acme.command(f"/log {spelling} acme", AGENT).text
    assert statement(acme)["days"][0]["logged_minutes"] == 360


def test_typed_dates_are_provider_days_like_work_logged_now(acme, standin, clock):
    # 12:30 UTC on Friday is 01:30 on Saturday in Auckland but still Friday in London, the
    # provider's timezone, where days are summed and rounded once (seed 001, SPEC §3).
    standin.add_user("UKIWI0001", "kiri", "Pacific/Auckland")
    from bot import roles

    with acme.database.session() as db:
        roles.grant(db, "UKIWI0001", "agent", "test", clock.now())
    clock.set(datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    reply = acme.command("/log 10m acme", "UKIWI0001")
    assert "Logged 10m 1-on-1 for acme on Fri 20 Nov." in reply.text
    assert "acme, Fri 20 Nov: 10m logged → 30m billed" in reply.text
    # `on today` is London's Friday too, not Auckland's Saturday: one day, rounded once
    # (before, it landed on Saturday and the two 10-minute entries billed 30m each).
    clock.advance(timedelta(seconds=61))  # the same entry within 60 s asks first
    reply = acme.command("/log 10m acme on today", "UKIWI0001")
    assert "Logged 10m 1-on-1 for acme on Fri 20 Nov." in reply.text
    assert "acme, Fri 20 Nov: 10m + 10m = 20m logged → 30m billed" in reply.text
    assert "Fri 20 Nov: 20m in 2 entries" in acme.command("/log list on today", "UKIWI0001").text
    # `on yesterday` is London's Thursday; Auckland's Saturday has not started in London.
    reply = acme.command("/log 10m acme on yesterday", "UKIWI0001")
    assert "acme, Thu 19 Nov: 10m logged → 30m billed" in reply.text
    assert "Thu 19 Nov: 10m in 1 entry" in acme.command("/log list on yesterday", "UKIWI0001").text
    reply = acme.command("/log 10m acme on 2026-11-21", "UKIWI0001")
    assert reply.text.startswith(":warning:") and "in the future" in reply.text
    assert "up to today, Fri 20 Nov in Europe/London" in reply.text
    days = [(d["date"], d["logged_minutes"], d["billed_minutes"]) for d in statement(acme)["days"]]
    assert days == [("2026-11-19", 10, 30), ("2026-11-20", 20, 30)]


def test_kind_and_activity_only_right_after_the_customer(acme):
    acme.command("/log 30m acme generally fine, then 1on1 general setup", AGENT)
    acme.command("/log 30m acme general setup on 2026-11-19 general stuff", AGENT)
    with acme.database.session() as db:
        rows = [
            (e.kind, e.activity, str(e.work_date), e.note)
            for e in db.scalars(select(TimeEntry).order_by(TimeEntry.id))
        ]
    assert rows == [
        ("one_on_one", None, "2026-11-20", "generally fine, then 1on1 general setup"),
        ("general", "setup", "2026-11-19", "general stuff"),
    ]


# --- Refusals change nothing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # `/log` alone opens the Log time form (issue 17 item 6): tests/.../test_modals.py
        ("/log 30m", "give a duration and a customer"),
        ("/log thirty acme", "not a duration"),
        ("/log 30x acme", "not a duration"),
        ("/log -30m acme", "not a duration"),
        ("/log 0m acme", "at least one minute"),
        ("/log 0:00 acme", "at least one minute"),
        ("/log 45s acme", "not a whole number of minutes"),
        ("/log 13h acme", "longer than one entry may be"),
        ("/log 99999h acme", "longer than one entry may be"),
        ("/log 30m nobody", "no customer called `nobody`"),
        ("/log 30m ACME'; drop table time_entries;--", "not a valid customer name"),
        ("/log 30m acme genral", "not a kind of support"),
        ("/log 30m acme 2on1", "not a kind of support"),
        ("/log 30m acme 1on1 on 2026-11-21", "in the future"),
        ("/log 30m acme on tomorrow", "in the future"),
        ("/log 30m acme on 2026-13-01", "not a date"),
        ("/log 30m acme on 20-11-2026", "not a date"),
        ("/log undo please", "`please` is not a time entry id"),
        ("/log 30m acme " + "x" * 1001, "limited to 1000 characters"),
    ],
)
def test_refused_input_is_one_line_with_usage_and_changes_nothing(acme, line, message):
    acme.command("/hourglass hours add acme 2", MANAGER)
    acme.command("/log 1h acme", AGENT)
    before = (count(acme.database, TimeEntry), count(acme.database, Alert))
    reply = acme.command(line, AGENT)
    assert reply.status == 200
    assert message.lower() in reply.text.lower(), reply.text
    first, usage = reply.text.split("\n")
    assert first.startswith(":warning:")
    assert usage.startswith("Usage: `/log")
    assert (count(acme.database, TimeEntry), count(acme.database, Alert)) == before
    assert statement(acme)["days"] == [
        {"date": "2026-11-20", "logged_minutes": 60, "billed_minutes": 60}
    ]


def test_quotes_and_sql_in_a_note_are_stored_as_text(acme):
    note = "it's \"fixed\"; DROP TABLE time_entries; -- ' OR 1=1 --"
    reply = acme.command(f"/log 30m acme {note}", AGENT)
    assert "Logged 30m" in reply.text
    with acme.database.session() as db:
        assert db.scalar(select(TimeEntry.note)) == note
    assert count(acme.database, TimeEntry) == 1


def test_people_without_a_role_cannot_log(acme):
    reply = acme.command("/log 30m acme", STRANGER)
    assert reply.text.startswith(":no_entry:")
    assert count(acme.database, TimeEntry) == 0


# --- Low balance ------------------------------------------------------------------------------


def test_block_low_is_raised_once_when_the_balance_crosses_the_threshold(acme, standin):
    acme.command("/hourglass hours add acme 3", MANAGER)
    acme.command("/log 30m acme", AGENT)  # 2h 30m left: above the 2h threshold
    acme.sweep()
    assert standin.posted(CHANNEL) == []
    acme.command("/log 31m acme", AGENT)  # the day is now 1h 30m billed: 1h 30m left
    acme.clock.advance(timedelta(seconds=61))  # the same entry within 60 s asks first
    acme.command("/log 30m acme", AGENT)  # 2h billed: 1h left, still low, not re-sent
    acme.sweep()
    assert standin.posted(CHANNEL) == []  # low balance is the team's (issue 17)
    (low,) = standin.posted(ACME_TEAM)
    assert low["text"].startswith(":battery: *acme* is low on prepaid hours: 1h 30m left")
    assert "#1: 1h 30m until 2027-02-18" in low["text"]
    # A new block re-arms it.
    acme.command("/hourglass hours add acme 1", MANAGER)
    acme.command("/log 1h acme on yesterday", AGENT)
    acme.sweep()
    assert len(standin.posted(ACME_TEAM)) == 2
    assert standin.posted(ACME_TEAM)[1]["text"].count("Latest block #2") == 1


def test_no_block_low_for_a_customer_who_never_bought_hours(acme, standin):
    acme.command("/log 3h acme", AGENT)
    acme.sweep()
    assert standin.posted(CHANNEL) == []


# --- Statement ------------------------------------------------------------------------------

SPEC_KEYS = {
    "customer",
    "month",
    "currency",
    "days",
    "sessions",
    "billed_minutes",
    "overage_minutes",
    "amount",
    "blocks",
    "calls",
    "sla",
}
BLOCK_KEYS = {
    "id",
    "hours",
    "purchased",
    "expires",
    "used_minutes",
    "remaining_minutes",
    "forfeited_minutes",
    "status",
}


def test_statement_json_matches_the_spec(acme):
    acme.command("/hourglass hours add acme 10 purchased 2026-08-30", MANAGER)
    acme.command("/log 5m acme on 2026-11-19", AGENT)
    acme.command("/log 30m acme on 2026-11-19", AGENT)
    acme.command("/log 2h acme general", AGENT)
    data = json.loads(json.dumps(statement(acme)))
    assert set(data) >= SPEC_KEYS
    assert data["days"] == [{"date": "2026-11-19", "logged_minutes": 35, "billed_minutes": 60}]
    assert [set(b) for b in data["blocks"]] == [BLOCK_KEYS]
    assert data["blocks"][0] | {"id": None} == {
        "id": None,
        "hours": 10,
        "purchased": "2026-08-30",
        "expires": "2026-11-28",
        "used_minutes": 60,
        "remaining_minutes": 540,
        "forfeited_minutes": 0,
        "status": "active",
    }
    assert (data["billed_minutes"], data["overage_minutes"], data["amount"]) == (60, 0, "0.00")


def test_report_command_shows_days_in_text_and_csv(acme, standin):
    acme.command("/log 5m acme", AGENT)
    acme.command("/log 30m acme", AGENT)
    reply = acme.command("/hourglass report acme 2026-11", MANAGER)
    assert "2026-11-20: 35m logged → 1h billed" in reply.text
    (content,) = standin.uploads.values()
    assert "day,2026-11-20,ad-hoc work,35,60," in content.decode()


def test_cli_report_json_has_the_days(acme, monkeypatch, capsys):
    acme.command("/log 5m acme on 2026-11-20", AGENT)
    acme.command("/log 30m acme on 2026-11-20", AGENT)
    monkeypatch.setenv("DATABASE_URL", acme.database.url)
    assert (
        hourglass_app.main(
            ["report", "--customer", "acme", "--month", "2026-11", "--format", "json"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= SPEC_KEYS
    assert data["days"] == [{"date": "2026-11-20", "logged_minutes": 35, "billed_minutes": 60}]


def test_balance_shows_blocks_month_billed_and_overage(acme):
    acme.command("/hourglass hours add acme 1 purchased 2026-11-01", MANAGER)
    acme.command("/log 1h45m acme", AGENT)
    text = acme.command("/balance acme", AGENT).text
    assert "#1: 1h bought 2026-11-01, expires 2027-01-30 — 0m left (exhausted)" in text
    assert "This month: 2h billed, 1h overage; 90.00 GBP to invoice" in text


def test_entries_after_a_day_change_bill_on_their_own_day(acme, clock):
    acme.command("/log 20m acme", AGENT)
    clock.advance(timedelta(days=1))
    acme.command("/log 20m acme", AGENT)
    assert statement(acme)["days"] == [
        {"date": "2026-11-20", "logged_minutes": 20, "billed_minutes": 30},
        {"date": "2026-11-21", "logged_minutes": 20, "billed_minutes": 30},
    ]


def test_one_person_cannot_log_more_than_a_day_into_a_day(acme):
    acme.command("/log 12h acme", AGENT)
    acme.command("/log 11h acme general", AGENT)
    reply = acme.command("/log 1h30m acme", AGENT)
    assert "more than a day has" in reply.text and "Usage: `/log" in reply.text
    assert "Fri 20 Nov: 23h in 2 entries" in acme.command("/log list", AGENT).text
    assert "Logged 1h" in acme.command("/log 1h acme", AGENT).text  # exactly 24h is fine


def test_durations_take_ascii_digits_only(acme):
    reply = acme.command("/log ٣٠m acme", AGENT)
    assert "is not a duration" in reply.text
