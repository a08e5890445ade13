"""The per-client limits of the routes that take submissions, as HTTP: 429 with Retry-After."""

from __future__ import annotations

from civic_runtime.app import ServiceRuntime
from civic_runtime.clients import client_address, trusted_networks
from fastapi import Request

from intake.config import IntakeSettings
from intake.entrypoints.problems import Problem, database_outage_as_503
from intake.service_layer.client_limits import TooManyRequests, admit


def address_of(request: Request, settings: IntakeSettings) -> str:
    """The client's address, read behind the trusted proxies (`TRUSTED_PROXIES`) only."""
    return client_address(request, trusted_networks(settings.trusted_proxies))


async def admit_client(
    runtime: ServiceRuntime, *, client: str, per_hour: int, retry_after_s: int
) -> None:
    """Count the request against `client`; Problem 429 once it is over `per_hour`."""
    if per_hour <= 0:
        return
    try:
        async with (
            database_outage_as_503(retry_after_s),
            # One statement: it commits on its own.
            runtime.connection_unit_of_work(atomic=False) as uow,
        ):
            await admit(uow=uow, client=client, per_hour=per_hour)
    except TooManyRequests as refused:
        raise Problem(
            429,
            title="Too many submissions",
            detail=f"This client has sent its {per_hour} submissions for the hour;"
            f" try again in {refused.retry_after_s} seconds",
            kind="too-many-requests",
            headers={"Retry-After": str(refused.retry_after_s)},
        ) from None
