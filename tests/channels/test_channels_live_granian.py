"""examples/live.py on two granian instances sharing one Redis: a score posted to one
server reaches the SSE clients of the other, and a client that reconnects with
`Last-Event-ID` to the other server is sent what it missed, then live scores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from examples.live import App, Score
from jero import ServerSentEvent
from jero.testing import TestClient, iter_sse
from tests.granian_server import WAIT_SECONDS, GranianProcess, granian
from tests.redis_server import RedisServer

pytestmark = pytest.mark.server


@pytest.fixture
def two_servers(redis: RedisServer) -> Iterator[tuple[GranianProcess, GranianProcess]]:
    with ExitStack() as stack:
        env = {"CHANNELS_URL": redis.url}
        yield (
            stack.enter_context(granian("examples.live:app", env)),
            stack.enter_context(granian("examples.live:app", env)),
        )


def post(server: GranianProcess, match: str, home: int, away: int) -> None:
    response = httpx.post(f"{server.url}/matches/{match}/score", json={"home": home, "away": away})
    assert response.status_code == 200


def test_scores_reach_the_other_server_and_a_reconnect_resumes(
    two_servers: tuple[GranianProcess, GranianProcess],
) -> None:
    one, two = two_servers
    timeout = httpx.Timeout(WAIT_SECONDS)
    with httpx.Client(timeout=timeout) as client:
        with client.stream("GET", f"{two.url}/matches/final/events") as response:
            assert response.headers["content-type"] == "text/event-stream"
            events = iter_sse(response, Score)
            # The head came at once with the first event, which sets the reconnection
            # delay: the stream is subscribed from here on.
            assert next(events) == ServerSentEvent(retry=2000)
            post(one, "final", 1, 0)
            post(one, "semi", 9, 9)  # another match: not on this stream
            post(one, "final", 1, 1)
            seen = [next(events), next(events)]
        assert [event.data for event in seen] == [Score(1, 0), Score(1, 1)]
        last_id = seen[-1].id
        assert last_id is not None
        # Disconnected: two goals happen on server one meanwhile.
        post(one, "final", 2, 1)
        post(one, "final", 3, 1)
        headers = {"Last-Event-ID": last_id}
        with client.stream("GET", f"{one.url}/matches/final/events", headers=headers) as response:
            events = iter_sse(response, Score)
            assert next(events) == ServerSentEvent(retry=2000)
            missed = [next(events), next(events)]
            post(two, "final", 3, 2)
            live = next(events)
    assert [event.data for event in missed] == [Score(2, 1), Score(3, 1)]
    assert live.data == Score(3, 2)
    ids = [event.id or "" for event in (*seen, *missed, live)]
    assert len(set(ids)) == 5 and all(ids)


def test_in_one_process_the_same_example_resumes_from_its_own_history() -> None:
    with TestClient(App()) as client:
        client.post("/matches/m/score", json={"home": 1, "away": 0})
        client.post("/matches/m/score", json={"home": 2, "away": 0})
        headers = {"Last-Event-ID": "1"}
        with client.stream("GET", "/matches/m/events", headers=headers) as response:
            events = iter_sse(response, Score)
            first = [next(events), next(events)]
    assert first == [ServerSentEvent(retry=2000), ServerSentEvent(Score(2, 0), id="2")]
