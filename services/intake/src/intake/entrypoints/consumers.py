"""The intake service's Kafka subscribers: the life of cases, for Open311 request statuses, and
erasures, to forget a resident's submissions."""

from __future__ import annotations

from civic_events.cases import CaseClosed, CaseOpened, CaseStatusChanged
from civic_events.residents import ResidentErased
from civic_runtime.consumers import EventHandlers
from civic_runtime.uow import UnitOfWork

from intake.service_layer import erasure
from intake.service_layer.case_status import apply_case_event

handlers = EventHandlers()


@handlers.on(CaseOpened, name="intake.entrypoints.consumers.on_case_opened")
async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
    await apply_case_event(uow=uow, event=event)


@handlers.on(CaseStatusChanged, name="intake.entrypoints.consumers.on_case_status_changed")
async def on_case_status_changed(event: CaseStatusChanged, uow: UnitOfWork) -> None:
    await apply_case_event(uow=uow, event=event)


@handlers.on(CaseClosed, name="intake.entrypoints.consumers.on_case_closed")
async def on_case_closed(event: CaseClosed, uow: UnitOfWork) -> None:
    await apply_case_event(uow=uow, event=event)


@handlers.on(ResidentErased, name="intake.entrypoints.consumers.on_resident_erased")
async def on_resident_erased(event: ResidentErased, uow: UnitOfWork) -> None:
    await erasure.forget_resident(uow=uow, event=event)
