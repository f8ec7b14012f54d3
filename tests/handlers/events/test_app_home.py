"""App Home brings an agent's day together: timer, calls and logged time."""

from __future__ import annotations

from bot.alerts.outbox import raise_alert
from tests import factories
from tests.harness import AGENT, MANAGER


def home_texts(slack) -> list[str]:
    assert slack.event({"type": "app_home_opened", "user": AGENT, "tab": "home"}).status == 200
    view = slack.standin.calls_to("views.publish")[-1].params["view"]
    return [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]


def test_app_home_shows_todays_logged_time(slack):
    slack.command("/hourglass customer add acme plan=professional", MANAGER)
    assert any("Nothing logged today" in t for t in home_texts(slack))
    slack.command("/log 30m acme setup")
    slack.command("/log 20m acme general")
    slack.command("/log 1h acme on yesterday")  # another day: not today's
    texts = home_texts(slack)
    today = next(t for t in texts if t.startswith("• 30m"))
    assert "30m 1-on-1 for acme (setup)" in today
    assert "20m general for acme" in today
    assert today.endswith("Total: 50m")


# --- a manager's Home: customers at risk and parked alerts (issue 17 item 6) -----------------


def manager_home(slack, user: str = MANAGER) -> list[str]:
    assert slack.event({"type": "app_home_opened", "user": user, "tab": "home"}).status == 200
    view = slack.standin.calls_to("views.publish")[-1].params["view"]
    assert len(view["blocks"]) <= 100
    return [
        (b.get("text") or {}).get("text") or b["elements"][0].get("text", "")
        for b in view["blocks"]
        if b["type"] in ("section", "header", "context")
    ]


def at_risk_setup(slack) -> None:
    for name in ("acme", "globex", "initech", "umbrella"):
        slack.command(f"/hourglass customer add {name} plan=professional", MANAGER)
    slack.command("/hourglass hours add acme 1", MANAGER)  # 1h left: under the 2h threshold
    # Bought 80 days ago, valid 90: 10h expire in 10 days.
    slack.command("/hourglass hours add globex 10 purchased 2026-09-01", MANAGER)
    slack.command("/ticket open initech immediate Production is down opened today 07:00")
    slack.command("/hourglass hours add umbrella 10", MANAGER)  # plenty, far from expiry
    slack.command("/ticket open umbrella normal A question")  # well within its targets


def test_a_managers_home_lists_each_kind_of_customer_at_risk(slack):
    at_risk_setup(slack)
    texts = manager_home(slack)
    assert "Customers at risk" in texts
    risky = "\n".join(t for t in texts if t.startswith("• :"))
    assert "*acme*: 1h of prepaid hours left (threshold 2h)" in risky
    assert "*globex*: 10h in block #2 expire in 10 days (2026-11-30)" in risky
    assert "*initech*: ticket #1 (Production is down) breached its first response target" in risky
    assert "umbrella" not in risky
    assert "Customers at risk" not in home_texts(slack)  # an agent's Home has no such list


def test_a_long_at_risk_list_says_how_many_more(slack, database, policy, clock):
    with database.session() as db:
        for n in range(40):
            customer = factories.customer(db, policy, f"customer-{n:02d}", now=clock.now())
            factories.hour_block(db, policy, customer, hours=1, now=clock.now())
    texts = manager_home(slack)
    shown = [ln for t in texts for ln in t.split("\n") if ln.startswith("• :battery:")]
    assert 0 < len(shown) < 40
    more = next(t for t in texts if t.startswith("… and "))
    assert more.startswith(f"… and {40 - len(shown)} more")


def test_a_managers_home_lists_the_first_parked_alerts(slack):
    slack.standin.add_channel("GPRIV01", "acme-private", private=True)
    with slack.database.session() as db:
        acme = factories.customer(
            db, slack.policy, "acme", channel="GPRIV01", now=slack.clock.now()
        )
        for n in range(5):  # customer-facing notices to a channel the app is not in
            raise_alert(
                db,
                slack.policy,
                key=f"test:booked:{n}",
                kind="booking_confirmed",
                customer=acme,
                text=f"acme's session {n} is booked",
                now=slack.clock.now(),
            )
    slack.sweep()
    joined = "\n".join(manager_home(slack))
    assert "*5 alert problems*" in joined
    assert joined.count("not delivered: `channel_not_found`") == 3
    assert "… and 2 more." in joined
    assert "channel_not_found" not in "\n".join(home_texts(slack))


# --- what the forecasts see coming (issue 13 item 6) ---------------------------------------


def test_a_managers_home_lists_forecast_risks_most_urgent_first_with_chart_buttons(slack):
    for name in ("acme", "globex", "initech", "umbrella"):
        slack.command(f"/hourglass customer add {name} plan=professional", MANAGER)
    # globex: no use, 10h expire in 10 days: all projected to be forfeited.
    slack.command("/hourglass hours add globex 10 purchased 2026-09-01", MANAGER)
    # initech: its only ticket answered 9h after opening, past the 6h goal: lost (0 days).
    slack.command("/ticket open initech priority Slow opened today 01:00")
    slack.command("/ticket respond 1")
    # acme: jane at 50m on the 20th is already over 45m, and on pace for 75m by the 30th:
    # past the 60m review limit (0 days: it is already happening).
    slack.command("/call 50m acme jane")
    slack.command("/hourglass hours add umbrella 10", MANAGER)  # far from expiry: no risk
    assert slack.event({"type": "app_home_opened", "user": MANAGER, "tab": "home"}).status == 200
    view = slack.standin.calls_to("views.publish")[-1].params["view"]
    heads = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert "Ahead: forecasts at risk" in heads
    flagged = [
        b for b in view["blocks"] if b.get("accessory", {}).get("action_id") == "chart_balance"
    ]
    assert [b["accessory"]["value"] for b in flagged] == ["acme", "initech", "globex"]
    texts = [b["text"]["text"] for b in flagged]
    assert "jane projected into fair-use review" in texts[0]
    assert "SLA goal lost for the month" in texts[1]
    assert "block #1: 10.00h projected to be forfeited on 2026-11-30" in texts[2]
    assert all(b["accessory"]["text"]["text"] == "Chart" for b in flagged)
    agent_view_texts = home_texts(slack)
    assert not any("forecasts at risk" in t for t in agent_view_texts)
