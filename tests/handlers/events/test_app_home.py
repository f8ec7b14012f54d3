"""App Home brings an agent's day together: timer, calls and logged time."""

from __future__ import annotations

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
