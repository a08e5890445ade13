"""A per-provider token bucket: at most N messages a minute handed to one provider by this process.

Per process: with several instances, set each one's share of the provider's limit.
"""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self._rate = per_minute / 60.0
        self._capacity = max(1.0, per_minute / 60.0)  # at most a second's worth at once
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    @property
    def unlimited(self) -> bool:
        return self._rate <= 0

    async def acquire(self) -> None:
        if self.unlimited:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(
                    self._capacity, self._tokens + (now - self._updated) * self._rate
                )
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)
