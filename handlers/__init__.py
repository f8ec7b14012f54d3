"""Slack adapters only: parse, call bot/, render Block Kit. Registered in one place
(`handlers/listeners.py`).

Every request's text is cleaned once before any listener runs (handlers/inbound.py).

May import bot/, store/ (sessions and repositories) and Slack; never app (the composition
root hands them what they need). local/ is Hourglass without Slack: the stand-in, console
and demo.
"""
