"""Forget an erased resident's submissions: intake knows them by reference, and the erasure
(`ResidentErased`) names the references of the resident's cases.

The receipt keeps its reference, form, dates and public status (Open311 still answers for the
request, with nothing of what the resident said or where); the FormSubmitted and
ApplicationReceived copies in our outbox lose their payloads. An erasure that names no
references (from a producer that predates the field) changes nothing here.
"""

from __future__ import annotations

import logging

from civic_events.residents import ResidentErased
from civic_runtime.erasure import erase_outbox_copies
from civic_runtime.uow import UnitOfWork

from intake.adapters import repository

logger = logging.getLogger(__name__)


async def forget_resident(*, uow: UnitOfWork, event: ResidentErased) -> None:
    references = list(event.references)
    if not references:
        return
    forgotten = await repository.forget_submissions(session=uow.session, references=references)
    copies = await erase_outbox_copies(uow.session, keys=references)
    logger.info(
        "erasure %s: %d submission(s) forgotten, %d outbox copies scrubbed, %d withdrawn",
        event.event_id,
        forgotten,
        copies.scrubbed,
        copies.withdrawn,
    )
