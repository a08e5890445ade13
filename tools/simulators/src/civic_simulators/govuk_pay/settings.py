"""The simulator's settings: environment variables prefixed `GOVUK_PAY_SIM_`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

# Pay's documented webhook retry ladder, in seconds: 60 s, 5 min, 1 h, 1 day, 2 days.
RETRY_LADDER_S: tuple[float, ...] = (60, 300, 3600, 86_400, 172_800)


@dataclass
class PaySimulatorSettings:
    host: str = "127.0.0.1"
    port: int = 8103
    # Where the hosted payment page is served from, as residents' browsers see it.
    public_url: str = "http://127.0.0.1:8103"
    api_keys: tuple[str, ...] = ("sim-api-key",)
    # The payments service's webhook endpoint on the local stack.
    webhook_urls: list[str] = field(
        default_factory=lambda: ["http://127.0.0.1:8004/gateway/webhooks"]
    )
    webhook_signing_secret: str = "sim-webhook-secret"  # noqa: S105 - a simulator's default
    # Multiplies every step of the retry ladder: 0.001 turns 60 s into 60 ms.
    webhook_retry_scale: float = 1.0
    webhook_timeout_s: float = 5.0
    expiry_s: float = 90 * 60
    expiry_sweep_interval_s: float = 1.0
    # How long a refund stays `submitted` before it succeeds.
    refund_settle_s: float = 0.2
    idempotency_ttl_s: float = 24 * 3600

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> PaySimulatorSettings:
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        for item in fields(cls):
            raw = environ.get(f"GOVUK_PAY_SIM_{item.name.upper()}")
            if raw is None:
                continue
            if item.name in {"api_keys"}:
                values[item.name] = tuple(part for part in raw.split(",") if part)
            elif item.name == "webhook_urls":
                values[item.name] = [part for part in raw.split(",") if part]
            elif item.type in ("int",):
                values[item.name] = int(raw)
            elif item.type in ("float",):
                values[item.name] = float(raw)
            else:
                values[item.name] = raw
        if "port" in values and "public_url" not in values:
            values["public_url"] = f"http://127.0.0.1:{values['port']}"
        return cls(**values)  # type: ignore[arg-type]

    def retry_delays(self) -> list[float]:
        return [step * self.webhook_retry_scale for step in RETRY_LADDER_S]
