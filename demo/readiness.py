"""Before the demo plays: is the platform it drives running?

Each service must answer `/readyz` (its database and Kafka reachable); each simulator must answer
HTTP at all (they have no common health route). Asked up front, the demo can say in one line
what is missing and how to start it, instead of failing in its first flow with a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx

SERVICES = ("intake", "cases", "notify", "payments")
START_PLATFORM = "start it with `make up` (or `make run` in another terminal), then run `make demo`"
TIMEOUT_S = 3.0


async def not_ready(urls: Mapping[str, str], http: httpx.AsyncClient) -> list[str]:
    """What is not ready, with why in a few words: e.g. `intake (not running)`."""
    answers = await asyncio.gather(*(_not_ready(name, url, http) for name, url in urls.items()))
    return [answer for answer in answers if answer]


async def _not_ready(name: str, url: str, http: httpx.AsyncClient) -> str | None:
    path = "/readyz" if name in SERVICES else "/"
    try:
        response = await http.get(url + path, timeout=TIMEOUT_S)
    except httpx.ConnectError:
        return f"{name} (not running at {url})"
    except httpx.HTTPError as exc:
        return f"{name} (no answer from {url}: {type(exc).__name__})"
    if name in SERVICES and response.status_code != 200:
        return f"{name} (not ready: {url}{path} answered {response.status_code})"
    return None


async def refusal(urls: Mapping[str, str], http: httpx.AsyncClient) -> str | None:
    """The one line the demo prints when the platform is not (all) there; None when it is."""
    missing = await not_ready(urls, http)
    if not missing:
        return None
    if len(missing) == len(urls):
        return f"the platform is not running; {START_PLATFORM}"
    return f"the platform is not ready: {', '.join(missing)}; {START_PLATFORM}"
