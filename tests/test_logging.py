"""Logging: one `hourglass.*` namespace, one line per request and per sweep rule, JSON for
log shippers, and quiet interactive commands."""

from __future__ import annotations

import json
import logging
import re

import pytest

import app as hourglass_app
from bot.alerts import outbox, sweeps


@pytest.fixture
def root_logging():
    """Put the root logger back as the test found it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:], root.level = handlers, level


def test_json_format_is_one_object_per_line_with_the_request_fields(root_logging, capsys):
    hourglass_app.configure_logging("INFO", "json")
    fields = {"kind": "command", "target": "/balance", "outcome": "ok", "ref": "7f3a2c"}
    logging.getLogger("hourglass.requests").info("a request", extra=fields)
    try:
        raise RuntimeError("kaput")
    except RuntimeError:
        outbox.log.exception("delivery failed")
    first, second = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert first["logger"] == "hourglass.requests" and first["message"] == "a request"
    assert {k: first[k] for k in fields} == fields
    assert first["level"] == "INFO" and re.match(r"\d{4}-\d\d-\d\dT", first["time"])
    # the domain's module loggers are named under hourglass.* too
    assert second["logger"] == "hourglass.bot.alerts.outbox"
    assert "RuntimeError: kaput" in second["traceback"]


def test_text_format_names_the_hourglass_logger(root_logging, capsys):
    hourglass_app.configure_logging("WARNING", "text")
    sweeps.log.warning("rule slow")
    logging.getLogger("hourglass.requests").info("not shown at WARNING")
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith(" WARNING hourglass.bot.alerts.sweeps: rule slow")


def test_each_sweep_rule_logs_one_line(slack, caplog):
    caplog.set_level(logging.INFO)
    slack.sweep()
    lines = [r for r in caplog.records if r.name == "hourglass.sweeps"]
    assert [r.target for r in lines] == [name for name, _ in hourglass_app.SWEEP_RULES]
    assert {r.outcome for r in lines} == {"ok"} and len({r.ref for r in lines}) == 1
    assert all(isinstance(r.duration_ms, int) and r.alerts == 0 for r in lines)


def test_the_demo_keeps_the_log_out_of_its_output(root_logging, monkeypatch, capsys):
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    assert hourglass_app.main(["demo"]) == 0
    captured = capsys.readouterr()
    assert "Demo finished" in captured.out
    assert captured.err == ""
    assert root_logging.level == logging.WARNING
