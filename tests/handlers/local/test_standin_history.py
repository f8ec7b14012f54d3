"""The stand-in keeps channels as Slack does (issue 18): messages with their metadata and
edits, conversations.history and .replies, a bot that must be in a channel to read it, and
two faults: Slack down (`outage`) and a call done at once but answered late
(`answer_late`). Through the real WebClient over HTTP."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

META = {"event_type": "hourglass_alert", "event_payload": {"key": "k1"}}


@pytest.fixture
def client(standin):
    return WebClient(token="xoxb-test", base_url=standin.base_url, timeout=1, retry_handlers=[])


def test_history_lists_messages_with_metadata_only_when_asked(client, standin):
    client.conversations_join(channel="CONE")
    ts = client.chat_postMessage(channel="CONE", text="first", metadata=META)["ts"]
    client.chat_postMessage(channel="CONE", text="reply", thread_ts=ts)
    client.chat_update(channel="CONE", ts=ts, text="edited")
    plain = client.conversations_history(channel="CONE")["messages"]
    assert [m["text"] for m in plain] == ["edited"] and "metadata" not in plain[0]
    full = client.conversations_history(channel="CONE", include_all_metadata=True)["messages"]
    assert full[0]["metadata"] == META
    replies = client.conversations_replies(channel="CONE", ts=ts)["messages"]
    assert [m["text"] for m in replies] == ["edited", "reply"]
    (message, _) = standin.messages("CONE")
    assert message.edits == ["edited"]
    later = client.conversations_history(channel="CONE", oldest=ts)["messages"]
    assert later == []


def test_a_bot_reads_only_channels_it_is_in(client):
    client.chat_postMessage(channel="CPUBLIC", text="posted without joining")
    with pytest.raises(SlackApiError) as refused:
        client.conversations_history(channel="CPUBLIC")
    assert refused.value.response["error"] == "not_in_channel"
    client.conversations_join(channel="CPUBLIC")
    assert len(client.conversations_history(channel="CPUBLIC")["messages"]) == 1


def test_an_outage_answers_500_and_does_nothing_until_it_ends(client, standin):
    standin.outage(500, ["chat.postMessage"])
    with pytest.raises(SlackApiError) as down:
        client.chat_postMessage(channel="CONE", text="lost")
    assert down.value.response.status_code == 500
    assert standin.messages() == []
    standin.end_outage()
    client.chat_postMessage(channel="CONE", text="back")
    assert [m.text for m in standin.messages()] == ["back"]


def test_a_late_answer_comes_after_the_post_is_done(client, standin):
    standin.answer_late(1.5)
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="CONE", text="accepted", metadata=META)
    assert [m.metadata for m in standin.messages("CONE")] == [META]
