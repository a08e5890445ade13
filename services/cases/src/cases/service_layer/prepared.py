"""What a batch of submissions needs to open its cases, read in three statements before the first.

With `consumer_batch_size` > 1 the runtime applies many events in one transaction, and first
calls `prepare_submissions` with them (`EventHandlers.before_batch`). It takes the locks of every
submission's reference (in one order, so two batches cannot deadlock on them), finds which of
those references already have a case or held updates, and locks the residents whose email or
phone number a submission gives. `form_submitted` and `upsert_from_contact` then look here
instead of asking the database three times per event, and keep it current with what they write;
`hold` notes an update held meanwhile. A plain new case (no held updates, no payment to ask
for) is not even written at once: its rows and events wait in `pending` and all are written
together (a statement per table) at the end of the batch, or as soon as anything else is to be
read or written (`write_pending`). Nobody else can change what is kept here before the
transaction ends: the references and residents are locked, and a case is opened, an update held,
only under its reference's lock.

It lives in the session's `info`, so as long as the batch's session. A record applied on its own
(one per transaction, or the record a failed batch's halving comes down to) finds nothing here
and reads the database.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from civic_events.base import Event
from civic_events.intake import FormSubmitted
from sqlalchemy.ext.asyncio import AsyncSession

from cases.adapters import opening, repository
from cases.adapters.opening import ResidentRecord

_KEY = "cases.prepared_submissions"
# For the rest of the transaction, then back to the connection's setting (PostgreSQL's default,
# `auto`: a statement prepared on a connection may be given a generic plan after five runs).
_PLAN_FOR_THE_VALUES = sa.text("SET LOCAL plan_cache_mode = force_custom_plan")
_PLAN_AS_USUAL = sa.text("SET LOCAL plan_cache_mode TO DEFAULT")


@dataclass
class PreparedSubmissions:
    locked: set[str]  # references whose lock this transaction holds
    with_case: set[str]
    with_held_updates: set[str]
    emails: set[str]  # the residents holding these emails and phone numbers are in `residents`
    phones: set[str]
    residents: list[ResidentRecord] = field(default_factory=list)  # oldest first
    # Cases opened and not written yet: see `write_pending`.
    pending: opening.PendingOpenings = field(default_factory=opening.PendingOpenings)
    # Where each resident is in `residents`, and where those holding each email and phone
    # number are: neither `written` nor `candidates` searches the list (with 500 submissions a
    # batch, searching it for each was a quadratic cost).
    _places: dict[uuid.UUID, int] = field(init=False, repr=False)
    _by_email: dict[str, set[int]] = field(init=False, repr=False)
    _by_phone: dict[str, set[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._places, self._by_email, self._by_phone = {}, defaultdict(set), defaultdict(set)
        for place, resident in enumerate(self.residents):
            self._index(place, resident)

    def _index(self, place: int, resident: ResidentRecord) -> None:
        self._places[resident.id] = place
        if resident.email:
            self._by_email[resident.email].add(place)
        if resident.phone:
            self._by_phone[resident.phone].add(place)

    def candidates(self, *, email: str | None, phone: str | None) -> list[ResidentRecord] | None:
        """The residents holding `email` or `phone`, oldest first; None when not read here."""
        if (email and email not in self.emails) or (phone and phone not in self.phones):
            return None
        places: set[int] = set()
        if email:
            places |= self._by_email.get(email, set())
        if phone:
            places |= self._by_phone.get(phone, set())
        return [self.residents[place] for place in sorted(places)]

    def written(self, resident: ResidentRecord) -> None:
        """A resident just created or changed in this transaction (a changed one keeps its place)."""
        place = self._places.get(resident.id)
        if place is None:
            place = len(self.residents)
            self.residents.append(resident)
        else:
            before = self.residents[place]
            if before.email:
                self._by_email[before.email].discard(place)
            if before.phone:
                self._by_phone[before.phone].discard(place)
            self.residents[place] = resident
        self._index(place, resident)


async def write_pending(session: AsyncSession) -> None:
    """Write the cases a prepared batch opened and left pending: at the end of the batch, and
    before anything else reads or writes (any other event, a case that cannot wait), so that
    what comes next sees them and the outbox keeps each key's events in order."""
    batch = prepared(session)
    if batch is not None and batch.pending:
        await opening.write_pending(session, batch.pending)


def prepared(session: AsyncSession) -> PreparedSubmissions | None:
    found: PreparedSubmissions | None = session.info.get(_KEY)
    return found


async def prepare_submissions(events: Sequence[Event], session: AsyncSession) -> None:
    """Lock and read, for every FormSubmitted of a batch, what opening its case needs."""
    submissions = [event for event in events if isinstance(event, FormSubmitted)]
    if not submissions:
        return
    references = {event.subject for event in submissions}
    emails = {e.contact.email.lower() for e in submissions if e.contact and e.contact.email}
    phones = {e.contact.phone for e in submissions if e.contact and e.contact.phone}
    await repository.lock_references(session, references=references)
    # These reads look up hundreds of values at once, once per batch: planned for those values
    # each time (a fraction of a millisecond), never with a plan the connection cached earlier.
    # One cached while the tables were small scans them whole, and keeps doing so as they grow
    # until the next ANALYZE: 30 to 40 ms a read at 12,000 cases (a backlog on a new database).
    await session.execute(_PLAN_FOR_THE_VALUES)
    with_case, with_held_updates = await opening.opening_states(session, references=references)
    residents = await opening.residents_by_contact(session, emails=emails, phones=phones)
    await session.execute(_PLAN_AS_USUAL)
    session.info[_KEY] = PreparedSubmissions(
        locked=references,
        with_case=with_case,
        with_held_updates=with_held_updates,
        emails=emails,
        phones=phones,
        residents=residents,
    )
