"""SLA tickets end to end over signed HTTP, on SQLite and Postgres (issue 6)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.sla.clocks import TICK
from handlers.local.standin import signed_headers
from store.models import Alert, Ticket, TicketEventRecord
from tests import factories
from tests.harness import AGENT, MANAGER, SIGNING_SECRET, STRANGER

CHANNEL = factories.ACME_CHANNEL  # acme's support channel, shared with acme
TEAM = factories.ACME_TEAM  # the team's channel for acme: SLA alerts are internal (issue 17)
LITE = "CLITE01"
LITE_TEAM = "CLITETEAM"
CUSTOMER = "UCUSTOMER1"


def count(database, model) -> int:
    with database.session() as db:
        return db.scalar(select(func.count()).select_from(model))


def snapshot(database):
    return tuple(count(database, m) for m in (Ticket, TicketEventRecord, Alert))


def alerts(database) -> list[Alert]:
    with database.session() as db:
        return list(db.scalars(select(Alert).order_by(Alert.id)))


def events(database) -> list[TicketEventRecord]:
    with database.session() as db:
        query = select(TicketEventRecord).order_by(TicketEventRecord.id)
        return list(db.scalars(query))


def ticket(database, ticket_id: int = 1) -> Ticket:
    with database.session() as db:
        return db.get(Ticket, ticket_id)


def ticket_action(slack, action_id: str, ticket_id: int, user: str = AGENT):
    """A signed block_actions payload, as Slack sends a button click."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T00000001"},
        "user": {"id": user, "username": user.lower(), "team_id": "T00000001"},
        "api_app_id": "A00000001",
        "token": "legacy-unused",
        "trigger_id": "trigger.2",
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "channel_id": CHANNEL, "message_ts": "1.1"},
        "response_url": slack.standin.response_url("action"),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"sla:{ticket_id}",
                "value": str(ticket_id),
                "action_ts": "1.2",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    return slack.post(body, signed_headers(SIGNING_SECRET, body, int(time.time())))


def message(ts: str, user: str = CUSTOMER, channel: str = CHANNEL, **extra) -> dict:
    return {"type": "message", "channel": channel, "user": user, "text": "help", "ts": ts, **extra}


@pytest.fixture
def acme(acme):
    """acme, and globex on the lite plan."""
    with acme.database.session() as db:
        factories.customer(
            db,
            acme.policy,
            "globex",
            plan="lite",
            channel=LITE,
            team=LITE_TEAM,
            now=acme.clock.now(),
        )
    return acme


# --- Done when ---------------------------------------------------------------------------------


def test_immediate_ticket_opened_three_hours_ago_raises_one_breach_alert(acme, standin, clock):
    reply = acme.command("/ticket open acme immediate Production is down opened today 07:00")
    assert reply.status == 200
    assert "#1" in reply.text and "First response *breached* at Fri 20 Nov 08:00 GMT" in reply.text
    for minutes in (0, 0, 1, 5, 30):
        acme.sweep(at=clock.now() + timedelta(minutes=minutes))
    assert standin.posted(CHANNEL) == []
    posts = standin.posted(TEAM)
    assert len(posts) == 1, posts
    assert "SLA breached" in posts[0]["text"] and "#1" in posts[0]["text"]
    assert "target of 1h passed at Fri 20 Nov 08:00 GMT" in posts[0]["text"]
    [alert] = alerts(acme.database)
    assert alert.key == "sla:1"
    # 3 h in on a 24/7 plan: breached at +1h, and the first escalation (1h later) has fired.
    assert alert.kind == "sla_escalation" and alert.state == "esc1:fr"
    assert len(standin.calls_to("chat.postMessage")) == 1


def test_fresh_low_ticket_raises_no_alert(acme, standin, clock):
    reply = acme.command("/ticket open acme low Please rotate our API key")
    assert "#1" in reply.text and "First response due Sun 22 Nov 10:00 GMT" in reply.text
    for hours in (0, 1, 2):
        acme.sweep(at=clock.now() + timedelta(hours=hours))
    assert standin.posted(CHANNEL) == []
    assert alerts(acme.database) == []


def test_why_shows_the_arithmetic(acme, clock):
    acme.command("/ticket open acme immediate Production is down opened today 09:30")
    reply = acme.command("/ticket why #1")
    assert "Fri 20 Nov 09:30–10:00: 30m counted" in reply.text
    assert "Resolution due Fri 20 Nov 17:30 GMT = 09:30 + 8h business time" in reply.text
    assert "First response due Fri 20 Nov 10:30 GMT = 09:30 + 1h business time" in reply.text
    acme.sweep(at=clock.now() + timedelta(hours=2))
    later = acme.command("/ticket why 1")
    assert "First response breached at Fri 20 Nov 10:30 GMT" in later.text
    assert "First response was due Fri 20 Nov 10:30 GMT = 09:30 + 1h business time" in later.text


# --- business calendars ------------------------------------------------------------------------


def test_friday_1730_on_the_lite_plan_is_due_saturday_morning_and_nothing_fires_at_3am(
    acme, standin, clock
):
    clock.set(datetime(2026, 11, 20, 17, 30, tzinfo=UTC))  # Fri 17:30 London (GMT)
    reply = acme.command("/ticket open globex immediate Cannot log in")
    # 30 minutes Friday, the rest from 08:00 Saturday (the lite plan is open 7 days, 08-18).
    assert "First response due Sat 21 Nov 08:30 GMT (internal Sat 21 Nov 08:15 GMT)" in reply.text
    assert ticket(acme.database).next_check_at == datetime(2026, 11, 21, 8, 3, 45, tzinfo=UTC)
    for at in (datetime(2026, 11, 20, 23, 0), datetime(2026, 11, 21, 3, 0)):
        acme.sweep(at=at.replace(tzinfo=UTC))
    assert standin.calls_to("chat.postMessage") == [] and alerts(acme.database) == []

    acme.sweep(at=datetime(2026, 11, 21, 8, 4, tzinfo=UTC))  # 75% of the internal 45m
    acme.sweep(at=datetime(2026, 11, 21, 8, 10, tzinfo=UTC))
    assert standin.posted(LITE) == []
    [post] = standin.posted(LITE_TEAM)
    assert "SLA warning" in post["text"]
    assert alerts(acme.database)[0].kind == "sla_warning"

    for minute in (30, 31, 45):
        acme.sweep(at=datetime(2026, 11, 21, 8, minute, tzinfo=UTC))
    updates = standin.updated()
    assert len(updates) == 1 and "SLA breached" in updates[0]["text"]
    assert alerts(acme.database)[0].kind == "sla_breach"
    # 1h after the breach a Technical Support ticket would escalate; Lite does not (seed 003).
    acme.sweep(at=datetime(2026, 11, 21, 9, 30, tzinfo=UTC))
    acme.sweep(at=datetime(2026, 11, 21, 9, 31, tzinfo=UTC))
    assert len(standin.updated()) == 1 and alerts(acme.database)[0].kind == "sla_breach"
    assert len(standin.calls_to("chat.postMessage")) == 1


def test_bank_holidays_are_skipped(acme, clock):
    clock.set(datetime(2026, 12, 24, 17, 30, tzinfo=UTC))  # Thu 24 Dec
    reply = acme.command("/ticket open globex immediate Payments failing")
    # Christmas Day and Boxing Day (Sat) are holidays in England; Sunday 27 is open.
    assert "First response due Sun 27 Dec 08:30 GMT" in reply.text
    clock.set(datetime(2026, 12, 27, 8, 0, tzinfo=UTC))
    why = acme.command("/ticket why 1").text
    assert "Fri 25 Dec: Christmas Day, skipped" in why
    assert "Sat 26 Dec: Boxing Day, skipped" in why


@pytest.mark.parametrize(
    ("opened", "due_text", "due_utc"),
    [
        # clocks go back on Sun 25 Oct 2026: 17:30 BST is 16:30 UTC; due 08:30 GMT
        (datetime(2026, 10, 24, 16, 30), "Sun 25 Oct 08:30 GMT", datetime(2026, 10, 25, 8, 30)),
        # clocks go forward on Sun 29 Mar 2026: due 08:30 BST = 07:30 UTC
        (datetime(2026, 3, 28, 17, 30), "Sun 29 Mar 08:30 BST", datetime(2026, 3, 29, 7, 30)),
    ],
)
def test_dst_weeks(acme, standin, clock, opened, due_text, due_utc):
    clock.set(opened.replace(tzinfo=UTC))
    reply = acme.command("/ticket open globex immediate Slow dashboard")
    assert f"First response due {due_text}" in reply.text
    acme.sweep(at=due_utc.replace(tzinfo=UTC))  # a reply at the due instant still meets it
    assert all(a.kind != "sla_breach" for a in alerts(acme.database))
    acme.sweep(at=due_utc.replace(tzinfo=UTC) + timedelta(seconds=1))
    assert alerts(acme.database)[0].kind == "sla_breach"


def test_pause_across_a_night_does_not_count_and_resume_picks_up(acme, clock):
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))  # Mon 10:00
    acme.command("/ticket open globex priority Report export broken")  # 8h, internal 6h
    clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))  # 7h counted
    paused = acme.command("/ticket pause 1")
    assert "paused" in paused.text and "First response paused, 1h left" in paused.text
    assert ticket(acme.database).status == "paused"
    assert ticket(acme.database).next_check_at is None  # nothing can change while paused
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # Tue 09:00
    resumed = acme.command("/ticket resume #1")
    assert "First response due Tue 24 Nov 10:00 GMT" in resumed.text
    why = acme.command("/ticket why 1").text
    assert "Paused Mon 23 Nov 17:00 – Tue 24 Nov 09:00 (waiting on customer)" in why
    assert "2h of business time not counted" in why  # 17-18 and 08-09


def test_a_pause_never_hides_a_breach(acme, clock, standin):
    acme.command("/ticket open acme immediate Down opened today 08:00")  # breached 09:00
    acme.command("/ticket pause 1")
    acme.sweep()
    assert "SLA breached" in standin.posted(TEAM)[0]["text"]
    assert "First response *breached*" in acme.command("/ticket list acme").text


# --- the alert's life, buttons ----------------------------------------------------------------


def test_alert_moves_in_place_to_resolved_and_stops(acme, standin, clock):
    acme.command("/ticket open acme immediate Down opened today 08:50")
    acme.sweep()  # 1h10m in: breached at 09:50
    acme.command("/ticket respond 1")
    acme.sweep()
    acme.command("/ticket resolve 1")
    acme.sweep()
    acme.sweep(at=clock.now() + timedelta(hours=10))
    assert len(standin.calls_to("chat.postMessage")) == 1
    updates = standin.updated()
    assert [u["text"].split(",")[0] for u in updates] == [
        ":speech_balloon: First response sent",
        ":white_check_mark: Resolved",
    ]
    assert updates[-1]["blocks"][-1]["type"] == "section"  # buttons gone once resolved
    assert ticket(acme.database).next_check_at is None
    assert ticket(acme.database).status == "resolved"


def test_take_and_acknowledge_buttons(acme, standin, clock):
    acme.command("/ticket open acme immediate Down opened today 08:30")
    acme.sweep()
    post = standin.posted(TEAM)[0]
    buttons = [e["action_id"] for e in post["blocks"][-1]["elements"]]
    assert buttons == ["sla_acknowledge", "sla_take"]
    assert ticket_action(acme, "sla_take", 1).status == 200
    assert ticket(acme.database).assignee == AGENT
    assert ticket_action(acme, "sla_acknowledge", 1, MANAGER).status == 200
    t = ticket(acme.database)
    assert (t.acknowledged_by, t.acknowledged_at) == (MANAGER, clock.now())
    acme.sweep()
    text = standin.updated()[-1]["text"]
    assert f"Taken by <@{AGENT}>" in text and f"acknowledged by <@{MANAGER}>" in text
    assert f"<@{AGENT}>" in acme.command("/ticket why 1").text


def test_strangers_cannot_press_the_buttons(acme, standin):
    acme.command("/ticket open acme immediate Down opened today 08:30")
    ticket_action(acme, "sla_take", 1, STRANGER)
    assert ticket(acme.database).assignee is None


def test_sweep_reads_only_due_tickets(acme, standin, clock):
    acme.sweep()  # the first sweep records the policy's fingerprint (see test below)
    acme.command("/ticket open acme immediate Down")
    t = ticket(acme.database)
    assert t.next_check_at == datetime(2026, 11, 20, 10, 33, 45, tzinfo=UTC)  # 75% of 45m
    with acme.database.session() as db:
        db.get(Ticket, 1).next_check_at = datetime(2027, 1, 1, tzinfo=UTC)
    acme.sweep(at=clock.now() + timedelta(hours=3))
    assert alerts(acme.database) == []  # not due by its column: not read
    with acme.database.session() as db:
        db.get(Ticket, 1).next_check_at = clock.now()
    acme.sweep()
    assert [a.kind for a in alerts(acme.database)] == ["sla_escalation"]
    # Next: the resolution warning at 75% of its internal 6h (14:30), before the
    # technical-director escalation 4h after the first-response breach at 11:00 (15:00).
    assert ticket(acme.database).next_check_at == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


# --- Slack events ------------------------------------------------------------------------------


def test_customer_message_opens_a_ticket_once_however_often_slack_retries(acme, policy):
    event = message("1700000100.000100", text="Our site is down")
    assert acme.event(event, event_id="EvOPEN1").status == 200
    assert acme.event(event, event_id="EvOPEN1", retry_num=1).status == 200
    assert acme.event(event, event_id="EvOPEN1", retry_num=2).status == 200
    assert count(acme.database, Ticket) == 1
    t = ticket(acme.database)
    assert (t.priority, t.channel_id, t.thread_ts, t.opened_by, t.subject) == (
        policy.sla.default_priority,
        CHANNEL,
        "1700000100.000100",
        CUSTOMER,
        "Our site is down",
    )
    assert count(acme.database, TicketEventRecord) == 1


def test_thread_reply_respond_pause_resume_and_check_mark_resolve(acme, standin):
    top = "1700000100.000100"
    acme.event(message(top), event_id="Ev1")
    reply = message("1700000101.000100", user=AGENT, thread_ts=top)
    acme.event(reply, event_id="Ev2")
    acme.event(reply, event_id="Ev2", retry_num=1)  # a retry is not a second response
    acme.event(message("1700000102.000100", user=AGENT, thread_ts=top), event_id="Ev3")
    with acme.database.session() as db:
        kinds = list(db.scalars(select(TicketEventRecord.kind).order_by(TicketEventRecord.id)))
    assert kinds == ["opened", "responded"]
    assert ticket(acme.database).status == "responded"

    acme.command("/ticket pause 1")
    acme.event(message("1700000103.000100", thread_ts=top), event_id="Ev4")  # customer answers
    assert ticket(acme.database).status == "responded"  # resumed: running again
    with acme.database.session() as db:
        assert (
            db.scalar(select(TicketEventRecord.kind).order_by(TicketEventRecord.id.desc()).limit(1))
            == "resumed"
        )

    reaction = {
        "type": "reaction_added",
        "user": AGENT,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": CHANNEL, "ts": top},
        "event_ts": "1700000104.000100",
    }
    acme.event({**reaction, "user": CUSTOMER}, event_id="Ev5")  # a customer's ✅ does nothing
    assert ticket(acme.database).status != "resolved"
    acme.event(reaction, event_id="Ev6")
    acme.event(reaction, event_id="Ev6", retry_num=1)
    assert ticket(acme.database).status == "resolved"
    assert count(acme.database, TicketEventRecord) == 5


@pytest.mark.parametrize(
    "event",
    [
        message("1700000200.000100", subtype="message_changed"),
        message("1700000200.000100", subtype="channel_join"),
        message("1700000200.000100", bot_id="BOTHER1"),
        message("1700000200.000100", user=AGENT),  # agents talking in the channel
        message("1700000200.000100", user=MANAGER),
        message("1700000200.000100", channel="CRANDOM1"),  # not a customer's channel
    ],
)
def test_messages_that_are_not_tickets(acme, event):
    acme.event(event, event_id="EvX")
    assert count(acme.database, Ticket) == 0


def test_a_message_with_a_file_opens_a_ticket(acme):
    # Regression: every subtype was ignored, so a first message with a screenshot was lost.
    acme.event(message("1700000250.000100", subtype="file_share"), event_id="EvFILE")
    assert count(acme.database, Ticket) == 1


def test_a_reply_also_sent_to_the_channel_is_the_first_response(acme):
    # Regression: "also send to channel" replies (thread_broadcast) were ignored.
    top = "1700000260.000100"
    acme.event(message(top), event_id="EvTOP")
    broadcast = message("1700000261.000100", user=AGENT, thread_ts=top, subtype="thread_broadcast")
    acme.event(broadcast, event_id="EvBCAST")
    assert ticket(acme.database).status == "responded"


def test_unsigned_events_are_refused(acme):
    reply = acme.event(message("1700000300.000100"), event_id="EvBAD", secret="wrong")
    assert reply.status == 401
    assert count(acme.database, Ticket) == 0


# --- refused input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/ticket open acme urgent Down", "has no priority `urgent`"),
        ("/ticket open acme immediate Down opened tomorrow 09:00", "cannot be in the future"),
        ("/ticket open acme immediate Down opened 2026-01-01 09:00", "more than 90 days ago"),
        ("/ticket open acme immediate Down opened today 25:00", "not a time of day"),
        ("/ticket open nobody immediate Down", "no customer called `nobody`"),
        ("/ticket open acme immediate", "give a customer, a priority and a subject"),
        ("/ticket open acme';drop immediate x", "not a valid customer name"),
        ("/ticket respond 99", "there is no ticket #99"),
        ("/ticket respond one", "not a ticket id"),
        ("/ticket respond 1", "already has its first response"),
        ("/ticket resume 1", "is not paused"),
        ("/ticket why", "give one ticket id"),
        ("/ticket frobnicate 1", "I don't know"),
    ],
)
def test_refused_inputs_change_nothing(acme, line, error):
    acme.command("/ticket open acme low Question")
    acme.command("/ticket respond 1")
    before = snapshot(acme.database)
    reply = acme.command(line)
    assert error.lower() in reply.text.lower()
    assert reply.text.startswith(":warning:")
    assert snapshot(acme.database) == before


def test_strangers_cannot_open_tickets(acme):
    reply = acme.command("/ticket open acme immediate Down", STRANGER)
    assert "only support agents and managers" in reply.text
    assert count(acme.database, Ticket) == 0


def test_resolved_tickets_refuse_more_events(acme):
    acme.command("/ticket open acme low Question")
    acme.command("/ticket resolve 1")
    before = snapshot(acme.database)
    assert "is resolved" in acme.command("/ticket pause 1").text
    assert snapshot(acme.database) == before
    assert "No open tickets" in acme.command("/ticket list").text


# --- reports ----------------------------------------------------------------------------------


def test_hourglass_sla_and_statement_section(acme, clock):
    clock.set(datetime(2026, 11, 20, 6, 0, tzinfo=UTC))
    for priority in ("immediate", "low", "low"):
        acme.command(f"/ticket open acme {priority} Thing")
    clock.set(datetime(2026, 11, 20, 6, 30, tzinfo=UTC))
    acme.command("/ticket respond 2")  # 30m
    clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    acme.command("/ticket respond 3")  # 4h; ticket 1 is breached and unanswered
    assert "only managers" in acme.command("/hourglass sla acme", AGENT).text
    reply = acme.command("/hourglass sla acme 2026-11", MANAGER)
    assert "3 tickets, 2 responded, 1 breached, 66.7% within target" in reply.text
    assert "p50 30m, p90 4h" in reply.text
    everyone = acme.command("/hourglass sla", MANAGER).text
    assert "*acme*" in everyone and "*globex* (lite plan): no tickets." in everyone

    from bot.reports.statement import build_statement
    from store.repositories.core import Customers

    with acme.database.session() as db:
        statement = build_statement(
            db, acme.policy, Customers.by_name(db, "acme"), 2026, 11, clock.now()
        )
    assert statement["sla"] == {
        "tickets": 3,
        "responded": 2,
        "breached": 1,
        "within_target_ratio": 0.667,
        "p90_first_response_minutes": 240,
    }
    october = acme.command("/hourglass sla 2026-10 acme", MANAGER).text
    assert "*SLA, 2026-10*" in october and "*acme* (professional plan): no tickets." in october
    bad = acme.command("/hourglass sla acme 2026-13", MANAGER).text
    assert bad.startswith(":warning:") and "not a month" in bad


def test_opened_elsewhere_in_the_subject_is_just_words(acme):
    reply = acme.command("/ticket open acme low Account opened by mistake")
    assert "Account opened by mistake" in reply.text
    assert ticket(acme.database).opened_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_a_late_retry_counts_from_when_the_customer_wrote(acme, clock):
    wrote = clock.now() - timedelta(minutes=2)
    event = message(f"{wrote.timestamp():.6f}")
    clock.advance(timedelta(minutes=5))  # the first delivery failed; Slack retries later
    acme.event(event, event_id="EvLATE1", retry_num=2)
    assert ticket(acme.database).opened_at == wrote
    implausible = message("1500000000.000100")  # 2017: not a retry window, so "now"
    acme.event(implausible, event_id="EvOLD1")
    assert ticket(acme.database, 2).opened_at == clock.now()


def test_a_warned_ticket_paused_says_so_and_resumes_into_its_warning(acme, standin, clock):
    acme.command("/ticket open acme immediate Down opened today 09:25")  # warning at 09:58:45
    acme.sweep()
    assert "SLA warning" in standin.posted(TEAM)[0]["text"]
    acme.command("/ticket pause 1")
    acme.sweep()
    assert "clocks are paused" in standin.updated()[-1]["text"]
    assert ticket(acme.database).next_check_at is None
    clock.advance(timedelta(hours=3))
    acme.command("/ticket resume 1")
    acme.sweep()
    assert "SLA warning" in standin.updated()[-1]["text"]
    # 35m counted before the pause: the public 1h target is due 25m after resuming, and
    # breached just after that (the sweep wakes one microsecond past the due instant).
    assert ticket(acme.database).next_check_at == datetime(2026, 11, 20, 13, 25, tzinfo=UTC) + TICK
    assert len(standin.calls_to("chat.postMessage")) == 1


def test_times_are_read_and_shown_in_the_agents_timezone(acme, standin):
    from bot import roles

    standin.add_user("UNEWYORK1", "nia", "America/New_York")
    with acme.database.session() as db:
        roles.grant(db, "UNEWYORK1", "agent", "test", acme.clock.now())
    reply = acme.command(
        "/ticket open globex immediate Cannot log in opened today 04:30", "UNEWYORK1"
    )
    assert "Opened Fri 20 Nov 04:30 EST" in reply.text  # 09:30 in London
    assert "First response due Fri 20 Nov 05:30 EST" in reply.text
    assert ticket(acme.database).opened_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    why = acme.command("/ticket why 1", "UNEWYORK1").text
    assert "Fri 20 Nov 04:30–05:00: 30m counted" in why


def test_a_subject_cannot_ping_the_channel(acme, standin):
    acme.event(
        message("1700000400.000100", text="<!channel> site down <@UMANAGER1>"), event_id="E1"
    )
    acme.command("/ticket open acme immediate <!here> also down opened today 08:00")
    acme.sweep()
    [post] = standin.posted(TEAM)
    assert "<!here>" not in post["text"] and "&lt;!here&gt;" in post["text"]
    listed = acme.command("/ticket list").text
    assert "<!channel>" not in listed and "<@UMANAGER1>" not in listed


# --- reopen (issue 19 item 1) ------------------------------------------------------------------


def test_a_resolved_ticket_can_be_reopened_and_its_clock_resumes_from_the_reopen(acme, clock):
    acme.command("/ticket open acme immediate Down opened today 09:00")
    acme.command("/ticket respond 1")
    clock.advance(timedelta(hours=1))  # 11:00: 2h of resolution time counted
    acme.command("/ticket resolve 1")
    assert "No open tickets" in acme.command("/ticket list").text
    clock.advance(timedelta(hours=3))  # 14:00: the three resolved hours never count
    reply = acme.command("/ticket reopen #1")
    assert "Ticket *#1* (acme, immediate) reopened" in reply.text
    assert ticket(acme.database).status == "responded"
    assert "#1" in acme.command("/ticket list").text
    why = acme.command("/ticket why 1").text
    assert "Fri 20 Nov 09:00–11:00: 2h counted" in why
    # 8h target − 2h counted = 6h left from 14:00 → due 20:00 on a 24/7 plan
    assert "Resolution due Fri 20 Nov 20:00 GMT" in why
    kinds = [e.kind for e in events(acme.database)]
    assert kinds == ["opened", "responded", "resolved", "reopened"]


def test_only_a_resolved_ticket_can_be_reopened(acme):
    acme.command("/ticket open acme low Question")
    before = snapshot(acme.database)
    reply = acme.command("/ticket reopen 1")
    assert reply.text.startswith(":warning:") and "is not resolved" in reply.text
    assert snapshot(acme.database) == before


def test_a_resolved_ticket_says_how_to_reopen_it(acme):
    acme.command("/ticket open acme low Question")
    acme.command("/ticket resolve 1")
    assert "reopen it first with `/ticket reopen`" in acme.command("/ticket pause 1").text


def test_a_reopened_ticket_past_its_target_breaches_again_in_the_same_message(acme, standin, clock):
    acme.command("/ticket open acme immediate Down opened today 08:50")
    acme.sweep()  # breached at 09:50
    acme.command("/ticket resolve 1")
    acme.sweep()
    acme.command("/ticket reopen 1")
    acme.sweep(at=clock.now() + timedelta(hours=10))
    assert len(standin.calls_to("chat.postMessage")) == 1
    heads = [u["text"].split(",")[0] for u in standin.updated()]
    assert heads == [":white_check_mark: Resolved", ":rotating_light: SLA breached"]
    assert ticket(acme.database).status != "resolved"
