"""FastAPI dependencies of the cases service's routes, besides the officer (see `auth`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cases.service_layer.context import CasesContext


def context_of(request: Request) -> CasesContext:
    context: CasesContext = request.app.state.cases_context
    return context


ContextDep = Annotated[CasesContext, Depends(context_of)]
