"""Live scores over Server-Sent Events, on every worker and server sharing a broker.

Serve it with `uv run granian --interface asgi examples.live:app`; open
`http://127.0.0.1:8000/matches/final/events` in a browser (or `curl -N`), and post a
score with `curl -d '{"home": 1, "away": 0}' http://127.0.0.1:8000/matches/final/score`.

Scores are a channel keyed by match. With `CHANNELS_URL=redis://127.0.0.1:6379/0` the
channel spans every process sharing that Redis, and each event carries its Redis Stream
id: a browser that lost its connection reconnects with `Last-Event-ID` and is sent the
scores it missed (the last 100 of each match are kept). Without it, the scores stay in
this one process, with the same resumption.
"""

import os

from msgspec import Struct

from jero import BaseApp, Channel, Endpoint, Feed, SSEResponse, backend_from_url


class MatchPath(Struct):
    match_id: str


class Score(Struct):
    home: int
    away: int


class Resume(Struct):
    last_event_id: str | None = None
    """Sent by EventSource when it reconnects: the id of the last event it received."""


class ScoreFeed(Endpoint, path="/matches/{match_id}/events"):
    def __init__(self, scores: Feed[Score]) -> None:
        self.scores = scores  # checked against SSEResponse[Score] at wiring

    async def get(self, path: MatchPath, headers: Resume) -> SSEResponse[Score]:
        stream = self.scores.sse(path.match_id, last_event_id=headers.last_event_id)
        return SSEResponse(stream, keepalive=15)


class ScoreBoard(Endpoint, path="/matches/{match_id}/score"):
    def __init__(self, scores: Channel[Score]) -> None:
        self.scores = scores

    async def post(self, path: MatchPath, json: Score) -> Score:
        await self.scores.publish(json, key=path.match_id)
        return json


class App(BaseApp):
    async def _wire(self) -> None:
        url = os.environ.get("CHANNELS_URL")
        channels = await self._create_channels(backend=backend_from_url(url, history=100))
        scores = channels.channel("scores", Score)
        self._include_endpoint(ScoreFeed(scores.feed()))
        self._include_endpoint(ScoreBoard(scores))


app = App()
