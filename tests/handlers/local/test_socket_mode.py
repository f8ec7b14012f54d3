"""The Socket Mode stand-in (issue 12 item 5) with slack-sdk's own builtin client, the one
SocketModeHandler runs: it connects where apps.connections.open points, gets envelopes and
its acknowledgements are returned to the sender; an envelope no one acknowledges, or sent
with no app connected, is not acknowledged."""

from __future__ import annotations

import time

from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from handlers.local.socket_mode import SocketModeStandIn


def wait_for(condition) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.05)


def test_envelopes_are_acknowledged_through_the_real_client(standin):
    with SocketModeStandIn() as socket_mode:
        standin.socket_mode_url = socket_mode.url
        assert socket_mode.send("slash_commands", {"command": "/log"}) is None  # no app yet
        client = SocketModeClient(
            app_token="xapp-test",
            web_client=WebClient(token="xoxb-test", base_url=standin.base_url),
            ping_interval=0.2,
        )

        def listener(client: SocketModeClient, request) -> None:
            if request.type == "slash_commands":  # events go unanswered
                answer = {"text": f"got {request.payload['command']}"}
                response = SocketModeResponse(envelope_id=request.envelope_id, payload=answer)
                client.send_socket_mode_response(response)

        client.socket_mode_request_listeners.append(listener)
        client.connect()
        try:
            wait_for(socket_mode.is_connected)
            time.sleep(0.5)  # a few pings answered with pongs: the client stays connected
            assert socket_mode.send("slash_commands", {"command": "/log"}) == {"text": "got /log"}
            assert socket_mode.send("events_api", {"event": {}}, timeout=0.5) is None
        finally:
            client.close()
        wait_for(lambda: not socket_mode.is_connected())
        assert socket_mode.send("slash_commands", {"command": "/log"}) is None
        assert socket_mode.connected == 1
