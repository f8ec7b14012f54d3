"""The console opens the forms and fires message shortcuts (issue 17 item 6)."""

from __future__ import annotations

from tests.harness import run_cli


def test_console_opens_the_log_form_and_fires_a_message_shortcut(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    lines = "\n".join(
        [
            "/hourglass customer add acme plan=lite channel=<#CACME01>",
            "/log",
            ":shortcut log_time_on_message CACME01 Printer down again",
            ":shortcut open_ticket_from_message CACME01 VPN is down",
            ":quit",
        ]
    )
    result = run_cli("console", "--user", "U0CONSOLE", env=env, input_text=lines + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("→ views.open Log time") == 2, result.stdout
    assert "→ views.open Open a ticket" in result.stdout
