"""A handler is known to the inbox by the name it is registered with, not by its function."""

from __future__ import annotations

import pytest
from civic_events.cases import CaseClosed, CaseOpened
from civic_runtime.consumers import EventHandlers
from civic_runtime.uow import UnitOfWork

pytestmark = pytest.mark.unit


def test_a_handler_is_known_by_the_name_it_is_given() -> None:
    handlers = EventHandlers()

    @handlers.on(CaseOpened, name="open-case")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        pass

    registration = handlers.lookup(CaseOpened.topic.name, CaseOpened.ce_type)
    assert registration is not None
    assert registration.name == "open-case"
    assert registration.handler is on_case_opened
    assert [r.name for r in handlers.registrations] == ["open-case"]


def test_two_handlers_cannot_share_a_name_or_go_without_one() -> None:
    handlers = EventHandlers()

    @handlers.on(CaseOpened, name="case-news")
    async def on_case_opened(event: CaseOpened, uow: UnitOfWork) -> None:
        pass

    async def on_case_closed(event: CaseClosed, uow: UnitOfWork) -> None:
        pass

    with pytest.raises(ValueError, match="already named 'case-news'"):
        handlers.on(CaseClosed, name="case-news")(on_case_closed)
    with pytest.raises(ValueError, match="needs a name"):
        handlers.on(CaseClosed, name="")
