"""Served by granian in tests/hardening/test_hardening_streams.py: streams whose
generators never await, which record how many chunks they generated in the file named
by $JERO_HARDENING_MARKER when their teardown runs."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

from jero import BaseApp, Endpoint, StreamingResponse

CHUNKS = 100_000


class ExportEndpoint(Endpoint, path="/export"):
    async def get(self) -> StreamingResponse:
        async def rows() -> AsyncIterator[bytes]:
            generated = 0
            try:
                for n in range(CHUNKS):  # never awaits
                    generated += 1
                    yield b"row %06d\n" % n
            finally:
                with Path(os.environ["JERO_HARDENING_MARKER"]).open("a") as marker:
                    marker.write(f"generated {generated}\n")

        return StreamingResponse(rows(), media_type="text/csv")


class App(BaseApp):
    async def _wire(self) -> None:
        self._include_endpoint(ExportEndpoint())


app = App()
