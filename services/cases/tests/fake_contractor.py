"""A loopback stand-in for the waste contractor's work-order API (the contract in the shared brief).

It speaks HTTP on 127.0.0.1 like the real system, so the service's adapter is tested as it runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from loopback import serving

API_KEY = "sim-key"


@dataclass
class FakeContractor:
    port: int
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Create the job, then answer 503 as if the answer were lost: this many times.
    lose_answers: int = 0
    # Refuse every request as invalid (422).
    refuse: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/v1/missed-collections")
        async def report(request: Request, x_api_key: str = Header(default="")) -> JSONResponse:
            body = await request.json()
            self.requests.append({"api_key": x_api_key, **body})
            if x_api_key != API_KEY:
                return JSONResponse({"error": "bad key"}, status_code=401)
            if self.refuse:
                return JSONResponse({"error": "unknown UPRN"}, status_code=422)
            reference = body["council_reference"]
            known = reference in self.jobs
            if not known:
                self.jobs[reference] = {
                    "job_reference": f"MC-{len(self.jobs) + 1:06d}",
                    "council_reference": reference,
                    "status": "open",
                }
            if self.lose_answers > 0:
                self.lose_answers -= 1
                return JSONResponse({"error": "gateway timeout"}, status_code=503)
            return JSONResponse(self.jobs[reference], status_code=200 if known else 201)

        return app

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[FakeContractor]:
        async with serving(self.app(), self.port):
            yield self
