"""The stand-in's chaos mode (bench/chaos.py, issue 12): a seeded share of Web API calls
answered with 429 and Retry-After, 500, or a hang past the client's timeout after doing the
call or instead of it; auth.test spared. Through the real WebClient over HTTP."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.local.standin import CHAOS_KINDS


@pytest.fixture
def client(standin):
    return WebClient(token="xoxb-test", base_url=standin.base_url, timeout=1, retry_handlers=[])


def test_a_rate_limit_says_when_to_come_back(client, standin):
    standin.chaos(1.0, seed=1, hang=0, retry_after=7, kinds=["429"])
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="CONE", text="hello")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    assert standin.messages("CONE") == [] and standin.faults["429"] == 1


def test_a_server_error_does_nothing(client, standin):
    standin.chaos(1.0, seed=1, hang=0, kinds=["500"])
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel="CONE", text="hello")
    assert failed.value.response.status_code == 500
    assert standin.messages("CONE") == []


def test_a_hang_past_the_timeout_may_or_may_not_have_done_the_call(client, standin):
    standin.chaos(1.0, seed=1, hang=1.5, kinds=["hang-done"])
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="CONE", text="done, never heard of")
    assert [m.text for m in standin.messages("CONE")] == ["done, never heard of"]
    standin.chaos(1.0, seed=1, hang=1.5, kinds=["hang-lost"])
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="CONE", text="never done")
    assert [m.text for m in standin.messages("CONE")] == ["done, never heard of"]


def test_auth_test_is_spared_and_calm_ends_the_faults(client, standin):
    standin.chaos(1.0, seed=1, hang=0, kinds=["500"])
    assert client.auth_test()["ok"]
    standin.calm()
    assert client.chat_postMessage(channel="CONE", text="fine")["ok"]
    assert sum(standin.faults.values()) == 0


def test_the_share_is_drawn_from_the_seed(client, standin):
    def outcomes(seed: int) -> list[str]:
        standin.chaos(0.5, seed=seed, hang=0, kinds=["500"])
        seen = []
        for n in range(40):
            try:
                client.chat_postMessage(channel="CONE", text=str(n))
                seen.append("ok")
            except SlackApiError:
                seen.append("500")
        return seen

    first, again, other = outcomes(7), outcomes(7), outcomes(8)
    assert first == again != other
    assert 5 < first.count("500") < 35


def test_only_known_kinds(standin):
    with pytest.raises(ValueError, match=", ".join(CHAOS_KINDS)):
        standin.chaos(0.2, seed=1, hang=0, kinds=["teapot"])
