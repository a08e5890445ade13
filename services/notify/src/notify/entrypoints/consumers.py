"""The notify service's Kafka subscribers (`on_<event>` functions registered on `handlers`)."""

from __future__ import annotations

from civic_runtime.consumers import EventHandlers

handlers = EventHandlers()
