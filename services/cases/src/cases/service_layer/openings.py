"""What opening a transaction's cases needs, read in three statements before its first event.

The consumer runtime applies a batch of events in one transaction (or a record alone) and, before
the first handler, calls `read_openings` with them (registered with `EventHandlers.prepare`). It
takes the locks of every submission's reference (in one order, so two batches cannot deadlock on
them), finds which of those references already have a case or held updates, and locks the
residents whose email or phone number a submission gives. `form_submitted` and `match_resident`
then ask the `Openings` instead of the database three times per event, and keep it current with
what they write (`opened`, `written`); a held update is noted with `held`. Nobody else can change
what it answers before the transaction ends: the references and residents are locked, and a case
is opened, an update held, only under its reference's lock.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from civic_events.base import Event
from civic_events.intake import FormSubmitted
from civic_runtime.uow import UnitOfWork

from cases.adapters import opening, repository
from cases.adapters.opening import ResidentRecord

# For the rest of the transaction, then back to the connection's setting (PostgreSQL's default,
# `auto`: a statement prepared on a connection may be given a generic plan after five runs).
_PLAN_FOR_THE_VALUES = sa.text("SET LOCAL plan_cache_mode = force_custom_plan")
_PLAN_AS_USUAL = sa.text("SET LOCAL plan_cache_mode TO DEFAULT")


@dataclass
class Openings:
    locked: set[str]  # references whose lock this transaction holds
    with_case: set[str]
    with_held_updates: set[str]
    emails: set[str]  # the residents holding these emails and phone numbers are in `residents`
    phones: set[str]
    residents: list[ResidentRecord] = field(default_factory=list)  # oldest first
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

    def has_case(self, reference: str) -> bool:
        """Whether `reference` has a case (read under its lock, or opened since)."""
        if reference not in self.locked:
            raise LookupError(f"{reference} was not read for this transaction")
        return reference in self.with_case

    def updates_held(self, reference: str) -> bool:
        return reference in self.with_held_updates

    def opened(self, reference: str) -> None:
        self.with_case.add(reference)

    def held(self, reference: str) -> None:
        """An update for `reference` was held in this transaction."""
        self.with_held_updates.add(reference)

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


async def read_openings(events: Sequence[Event], uow: UnitOfWork) -> Openings:
    """Lock and read, for every FormSubmitted of a transaction, what opening its case needs."""
    submissions = [event for event in events if isinstance(event, FormSubmitted)]
    references = {event.subject for event in submissions}
    emails = {e.contact.email.lower() for e in submissions if e.contact and e.contact.email}
    phones = {e.contact.phone for e in submissions if e.contact and e.contact.phone}
    if not submissions:
        return Openings(set(), set(), set(), emails, phones)
    session = uow.session
    await repository.lock_references(session, references=references)
    # A batch's hundreds of values looked up at once: planned for those values each time (a
    # fraction of a millisecond), never with a plan the connection cached earlier. One cached
    # while the tables were small scans them whole, and keeps doing so as they grow until the
    # next ANALYZE: 30 to 40 ms a read at 12,000 cases (a backlog on a new database).
    many = len(references) > 1
    if many:
        await session.execute(_PLAN_FOR_THE_VALUES)
    with_case, with_held_updates = await opening.opening_states(session, references=references)
    residents = await opening.residents_by_contact(session, emails=emails, phones=phones)
    if many:
        await session.execute(_PLAN_AS_USUAL)
    return Openings(
        locked=references,
        with_case=with_case,
        with_held_updates=with_held_updates,
        emails=emails,
        phones=phones,
        residents=residents,
    )
