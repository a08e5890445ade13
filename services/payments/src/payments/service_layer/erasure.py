"""What payments forgets of an erased resident: only what a person wrote.

Payments stores no names, emails or addresses. The money facts stay, as the council's accounts
need them: amounts, states, the gateway's ids and references, dates, and each payment's
description (the council's own words for the service paid for, e.g. "Bulky waste collection (2
items)"). A refund's reason is free text an officer may have written about the resident: it
goes. Payments' events carry ids and money facts only; any outbox copy it keeps of an event
that could carry contact details goes with the rest.
"""

from __future__ import annotations

import sqlalchemy as sa
from civic_events.residents import ResidentErased
from civic_runtime.erasure import erase_outbox_copies
from civic_runtime.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import ARRAY

from payments.adapters.tables import Payment, Refund

_payments = Payment.__table__
_refunds = Refund.__table__


async def forget_resident(*, uow: UnitOfWork, event: ResidentErased) -> None:
    references = list(event.references)
    theirs = sa.select(_payments.c.id).where(
        sa.or_(
            _payments.c.resident_id == event.resident_id,
            _payments.c.case_reference
            == sa.any_(sa.bindparam("erased_references", type_=ARRAY(sa.Text))),
        )
    )
    await uow.session.execute(
        sa.update(_refunds)
        .where(_refunds.c.payment_id.in_(theirs), _refunds.c.reason.is_not(None))
        .values(reason=None),
        {"erased_references": references},
    )
    await erase_outbox_copies(uow.session, keys=[str(event.resident_id), *references])
