"""Issue 19's findings replayed with their exact input over signed HTTP on both databases,
where no other module replays them already (the report of the review lists those): each
asserts the reply and the state, and a refusal records nothing.

The clock stands at Fri 20 Nov 2026 10:00 UTC (10:00 in London); acme has a team channel.
Wording that issue 19 item 9 is changing (durations, plurals) is not asserted here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.customers import get_customer
from store.models import Alert, Booking, HourBlock, PhoneCall, Role, TimeEntry
from tests import factories
from tests.factories import ACME_TEAM
from tests.harness import AGENT, MANAGER, ROOT


def count(slack, model) -> int:
    with slack.database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def alert_states(slack, kind: str | None = None) -> dict[str, str]:
    with slack.database.session() as db:
        rows = db.scalars(select(Alert).where(Alert.kind == kind) if kind else select(Alert))
        return {a.key: a.state for a in rows}


def alert_messages(slack) -> dict[str, tuple[str, str | None]]:
    """Each alert's state and the message (ts) it was posted as."""
    with slack.database.session() as db:
        return {a.key: (a.state, a.ts) for a in db.scalars(select(Alert))}


def live_calls(slack) -> list[int]:
    with slack.database.session() as db:
        rows = db.scalars(select(PhoneCall).where(PhoneCall.undone_at.is_(None)))
        return sorted(c.seconds for c in rows)


# --- "/call 3h acme jane" then "/call undo"; "/hourglass hours remove 4" ----------------------


def test_the_typo_d_call_is_taken_back_by_a_bare_call_undo(acme):
    acme.command("/call 3h acme jane")  # meant 3m
    assert len(alert_states(acme)) == 5
    reply = acme.command("/call undo")
    assert reply.text.startswith(":leftwards_arrow_with_hook: Undid call #1"), reply.text
    assert "Give a duration" not in reply.text
    assert set(alert_states(acme).values()) == {"withdrawn"}
    assert live_calls(acme) == []


@pytest.mark.parametrize(
    ("line", "suggestion"),
    [
        ("hours remove 4", "`hours remove` is not a `/hourglass` command; did you mean "),
        ("hours delete 4", "did you mean `/hourglass hours void`?"),
        ("customer delete acme", "did you mean `/hourglass customer archive`?"),
        ("role delete UAGENT001", "did you mean `/hourglass role remove`?"),
    ],
)
def test_a_correction_under_another_name_points_to_the_one_that_exists(acme, line, suggestion):
    with acme.database.session() as db:
        factories.hour_block(
            db, acme.policy, get_customer(db, "acme"), hours=4, now=acme.clock.now()
        )
    reply = acme.command(f"/hourglass {line}", MANAGER)
    assert reply.text.startswith(":warning:") and suggestion in reply.text, reply.text
    assert "I don't know" not in reply.text
    with acme.database.session() as db:
        assert db.scalar(select(HourBlock.voided_at)) is None
        assert db.get(Role, AGENT).role == "agent"
    assert "archived" not in acme.command("/hourglass customer list", MANAGER).text


def test_a_group_word_alone_is_not_suggested_as_itself(acme):
    reply = acme.command("/hourglass hours", MANAGER)
    assert "did you mean `/hourglass hours`?" not in reply.text
    assert "I don't know `hours`" in reply.text


# --- "/hourglass role add UALEX0001 agent" ----------------------------------------------------


def test_a_manager_adds_an_agent_by_the_raw_id_from_the_finding(acme):
    reply = acme.command("/hourglass role add UALEX0001 agent", MANAGER)
    assert reply.text.startswith(":busts_in_silhouette: <@UALEX0001> is now an agent"), reply.text
    with acme.database.session() as db:
        assert db.get(Role, "UALEX0001").role == "agent"
    logged = acme.command("/log 30m acme", "UALEX0001")
    assert logged.text.startswith(":white_check_mark: Logged"), logged.text
    assert count(acme, TimeEntry) == 1


# --- durations as people type them, on /call and /book too ------------------------------------

DURATIONS = [("1h30", 90), ("30min", 30), ("2 hours", 120), ("1,5h", 90), ("1h 30m", 90)]


@pytest.mark.parametrize(("typed", "minutes"), DURATIONS)
def test_call_takes_durations_as_people_type_them(acme, typed, minutes):
    reply = acme.command(f"/call {typed} acme jane")
    assert "Call #1" in reply.text and "There is no customer" not in reply.text, reply.text
    assert live_calls(acme) == [minutes * 60]


@pytest.mark.parametrize(("typed", "minutes"), DURATIONS)
def test_book_takes_durations_as_people_type_them(acme, typed, minutes):
    reply = acme.command(f"/book acme monday 10:00 {typed}")
    assert reply.text.startswith(":calendar: Booked #1"), reply.text
    with acme.database.session() as db:
        assert db.scalar(select(Booking.minutes)) == minutes


@pytest.mark.parametrize(
    "line", ["/log 90 acme", "/call 90 acme jane", "/book acme monday 10:00 90"]
)
def test_a_bare_number_is_refused_with_the_hint_everywhere(acme, line):
    reply = acme.command(line)
    assert reply.text.startswith(":warning: 90 what? Try 90m"), reply.text
    assert (count(acme, TimeEntry), count(acme, PhoneCall), count(acme, Booking)) == (0, 0, 0)


# --- dates `27 Nov`, `27/11/2026`, `3pm` where a time goes with them (/book) -------------------


@pytest.mark.parametrize(
    ("when", "local"),
    [
        ("27 Nov 3pm", "Fri 27 Nov 15:00"),
        ("Nov 27 3pm", "Fri 27 Nov 15:00"),
        ("27 Nov 2026 15:00", "Fri 27 Nov 15:00"),
        ("27/11/2026 3pm", "Fri 27 Nov 15:00"),
        ("27/11/2026 15:00", "Fri 27 Nov 15:00"),
        ("tomorrow 3pm", "Sat 21 Nov 15:00"),
    ],
)
def test_book_reads_dates_and_times_as_people_type_them(acme, when, local):
    reply = acme.command(f"/book acme {when} 1h")
    assert reply.text.startswith(":calendar: Booked #1") and local in reply.text, reply.text
    with acme.database.session() as db:
        (booking,) = db.scalars(select(Booking))
        day = local.split()[1]  # London is on UTC in November
        assert (booking.start_at.day, booking.start_at.hour) == (int(day), 15)


def test_book_move_reads_a_two_word_date(acme):
    acme.command("/book acme 27 Nov 3pm 1h")
    reply = acme.command("/book move #1 30 Nov 10am")
    assert "to Mon 30 Nov 10:00–11:00" in reply.text, reply.text
    with acme.database.session() as db:
        assert db.scalar(select(Booking.start_at)).strftime("%m-%d %H:%M") == "11-30 10:00"


# --- a date outside the current year is shown with its year, bookings too ---------------------


def test_a_booking_next_year_shows_its_year_in_every_reply(acme):
    booked = acme.command("/book acme 2027-01-05 10:00 1h")
    assert "Tue 5 Jan 2027 10:00–11:00 GMT" in booked.text, booked.text
    assert "Tue 5 Jan 2027 10:00–11:00" in acme.command("/book list").text
    moved = acme.command("/book move #1 6 Jan 2027 10:00")
    assert "from Tue 5 Jan 2027 10:00–11:00 GMT to Wed 6 Jan 2027 10:00" in moved.text, moved.text
    undone = acme.command("/book move undo #1")
    assert "is back at Tue 5 Jan 2027 10:00–11:00" in undone.text, undone.text
    cancelled = acme.command("/book cancel #1")
    assert "(Tue 5 Jan 2027 10:00–11:00 GMT) is cancelled" in cancelled.text, cancelled.text
    restored = acme.command("/book restore #1")
    assert "(Tue 5 Jan 2027 10:00–11:00 GMT) is back on" in restored.text, restored.text
    this_year = acme.command("/book acme 2026-12-01 10:00 1h").text
    assert "Tue 1 Dec 10:00–11:00 GMT" in this_year and "2026 10:00" not in this_year


# --- the same 366-day bound for every command, nothing changed --------------------------------


@pytest.mark.parametrize(
    ("line", "user", "what"),
    [
        ("/log 30m acme on 1999-01-01", AGENT, "work"),
        ("/log edit #1 on 2016-12-01", AGENT, "work"),
        ("/call 10m acme jane on 2016-12-01", AGENT, "a call"),
        ("/hourglass hours add acme 10 purchased 2016-12-01", MANAGER, "a purchase"),
    ],
)
def test_more_than_366_days_back_is_refused_by_every_command(acme, line, user, what):
    acme.command("/log 1h acme", AGENT)  # entry #1, today
    reply = acme.command(line, user)
    assert "is more than 366 days ago; " + what + " can be recorded back to 2025-11-19" in (
        reply.text
    ), reply.text
    with acme.database.session() as db:
        assert [(e.minutes, e.work_date.isoformat()) for e in db.scalars(select(TimeEntry))] == [
            (60, "2026-11-20")
        ]
    assert (count(acme, PhoneCall), count(acme, HourBlock)) == (0, 0)


# --- alerts follow their cause: allowance and review come back; blocks corrected --------------


def test_allowance_and_review_come_back_as_the_same_messages(acme, standin):
    acme.command("/call 3h acme jane")
    acme.sweep()
    first = alert_messages(acme)
    acme.command("/call undo")
    acme.sweep()
    acme.clock.advance(timedelta(minutes=5))
    acme.command("/call 2h acme jane")  # over the allowance and up for review again, and long
    acme.sweep()
    now = alert_messages(acme)
    assert now.pop("long_call:1") == ("withdrawn", first.pop("long_call:1")[1])
    assert now.pop("long_call:2")[0] == "raised"
    assert len(now) == 4 and now == {key: ("raised", ts) for key, (_, ts) in first.items()}
    assert len(standin.posted(ACME_TEAM)) == 6  # five, and the new long call's
    last_edit = {u["ts"]: u["text"] for u in standin.updated()}
    assert all("Withdrawn" not in last_edit[ts] for _, ts in now.values())


def test_hours_adjust_and_void_re_evaluate_the_low_balance_alert(acme, standin):
    acme.command("/hourglass hours add acme 8", MANAGER)
    acme.command("/log 7h acme", AGENT)  # 1h left: low
    acme.sweep()
    assert list(alert_states(acme, "block_low").values()) == ["raised"]
    acme.command("/hourglass hours adjust #1 +5 the invoice was for 13 hours", MANAGER)
    assert list(alert_states(acme, "block_low").values()) == ["withdrawn"]
    acme.sweep()
    assert standin.updated()[-1]["text"].startswith(":heavy_multiplication_x: *Withdrawn*")
    acme.command("/hourglass hours add acme 5", MANAGER)  # block #2, by mistake
    acme.command("/hourglass hours adjust #1 -5 it was 8 after all", MANAGER)  # 1h + 5h
    assert "raised" not in alert_states(acme, "block_low").values()
    acme.command("/hourglass hours void #2", MANAGER)  # back to 1h left
    assert "raised" in alert_states(acme, "block_low").values()
    acme.sweep()
    assert len([p for p in standin.posted(ACME_TEAM) if ":battery:" in p["text"]]) >= 1


# --- docs/commands.md lists every correction --------------------------------------------------

CORRECTIONS = [
    "/log list",
    "/log undo <#id>",
    "/log edit <#id> <duration>",
    "/log edit <#id> on <date>",
    "/log edit <#id> customer <name>",
    "/call list",
    "/call undo <#id>",
    "/book restore <id>",
    "/book waive <id> <reason>",
    "/ticket reopen <id>",
    "/hourglass hours list <customer>",
    "/hourglass hours void <#id>",
    "/hourglass hours adjust <#id> <±hours> <reason>",
    "/hourglass customer list",
    "/hourglass customer edit <name>",
    "/hourglass customer archive <name>",
    "/hourglass role add <@user> agent\\|manager",
    "/hourglass role remove <@user>",
    "/hourglass role list",
]


def test_docs_commands_lists_every_correction():
    text = Path(ROOT / "docs" / "commands.md").read_text()
    missing = [c for c in CORRECTIONS if f"`{c}" not in text]
    assert missing == []


def test_log_edit_cannot_move_work_before_the_customer_was_added(acme):
    acme.command("/hourglass customer add globex plan=professional", MANAGER)  # added today
    acme.command("/log 30m acme on 2026-11-01", AGENT)  # #1, acme is of long standing
    acme.command("/log 30m globex", AGENT)  # #2
    for line in ("/log edit #2 on 2026-11-01", "/log edit #1 customer globex"):
        reply = acme.command(line, AGENT)
        assert "Globex was added on 2026-11-20; work cannot be recorded on 2026-11-" in (
            reply.text
        ), reply.text
    with acme.database.session() as db:
        rows = db.scalars(select(TimeEntry).order_by(TimeEntry.id))
        assert [(e.customer.name, e.work_date.isoformat()) for e in rows] == [
            ("acme", "2026-11-01"),
            ("globex", "2026-11-20"),
        ]
    assert "Edited #1" in acme.command("/log edit #1 on 2026-11-02", AGENT).text


def test_more_seats_withdraw_the_account_allowance_alert_fewer_raise_it_again(acme, standin):
    account = "fair_use_allowance:1:@account:2026-11"
    acme.command("/call 20m acme jane")
    acme.command("/call 35m acme bob")  # the account: 55m of 45m (1 seat)
    acme.sweep()
    assert alert_messages(acme)[account][0] == "raised"
    reply = acme.command("/hourglass customer edit acme seats=2", MANAGER)
    assert "seats 1 → 2" in reply.text
    assert alert_messages(acme)[account][0] == "withdrawn"
    acme.sweep()
    edit = standin.updated()[-1]
    assert "Withdrawn" in edit["text"] and f"by <@{MANAGER}>" in edit["text"], edit["text"]
    acme.command("/hourglass customer edit acme seats=1", MANAGER)
    assert alert_messages(acme)[account][0] == "raised"
    acme.sweep()
    assert len([p for p in standin.posted(ACME_TEAM) if "allowance" in p["text"]]) == 1
