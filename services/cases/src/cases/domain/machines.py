"""Each case type's state machine, declared as data: statuses, allowed moves, what closes a case.

A move is allowed only if it is listed. Entering a *final* status closes the case (with that
outcome); an *automatic* follow-on (e.g. ``collected`` → ``closed``) is applied at once, silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class TransitionRefused(Exception):
    """The move is not in the case type's state machine."""

    def __init__(self, case_type: str, source: str, target: str) -> None:
        super().__init__(f"{case_type}: {source} → {target} is not allowed")
        self.case_type, self.source, self.target = case_type, source, target


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    notify_resident: bool = True


@dataclass(frozen=True)
class StateMachine:
    case_type: str
    edges: tuple[Edge, ...]
    final: frozenset[str] = frozenset({"closed"})
    automatic: dict[str, str] = field(default_factory=dict)
    initial: str = "received"
    chargeable: bool = False
    # Statuses during which the SLA clock stops (e.g. an FOI awaiting clarification).
    paused: frozenset[str] = frozenset()
    # Statuses in which the promise the SLA measures has been kept.
    sla_met: frozenset[str] = frozenset()

    @property
    def statuses(self) -> frozenset[str]:
        return frozenset(
            {self.initial} | {e.source for e in self.edges} | {e.target for e in self.edges}
        )

    def edge(self, source: str, target: str) -> Edge:
        for edge in self.edges:
            if edge.source == source and edge.target == target:
                return edge
        raise TransitionRefused(self.case_type, source, target)

    def allows(self, source: str, target: str) -> bool:
        return any(e.source == source and e.target == target for e in self.edges)

    def targets(self, source: str) -> list[str]:
        return [e.target for e in self.edges if e.source == source]

    def is_final(self, status: str) -> bool:
        return status in self.final

    def moves_from(self, status: str) -> list[str]:
        """Where an officer may move a case that is in `status`: nowhere once it is final."""
        if self.is_final(status):
            return []
        return sorted(set(self.targets(status)) - {status})


def _edges(*moves: tuple[str, str] | tuple[str, str, bool]) -> tuple[Edge, ...]:
    return tuple(Edge(*move) for move in moves)


def _from_each(
    sources: tuple[str, ...], target: str, notify: bool = True
) -> list[tuple[str, str, bool]]:
    return [(source, target, notify) for source in sources]


MISSED_BIN = StateMachine(
    case_type="missed_bin",
    edges=_edges(
        ("received", "return_visit_scheduled"),
        ("received", "collected"),
        ("received", "not_presented"),
        ("return_visit_scheduled", "return_visit_scheduled"),
        ("return_visit_scheduled", "collected"),
        ("return_visit_scheduled", "not_presented"),
        ("collected", "closed", False),
        ("not_presented", "closed", False),
        *_from_each(("received", "return_visit_scheduled"), "cancelled"),
    ),
    final=frozenset({"closed", "cancelled"}),
    automatic={"collected": "closed", "not_presented": "closed"},
    sla_met=frozenset({"collected", "not_presented", "closed", "cancelled"}),
)

_PAYMENT_GATE = (
    ("received", "awaiting_payment", False),
    ("awaiting_payment", "booked"),
    ("awaiting_payment", "payment_failed"),
    ("payment_failed", "awaiting_payment", False),
    ("payment_failed", "booked"),
)

BULKY_WASTE = StateMachine(
    case_type="bulky_waste",
    edges=_edges(
        *_PAYMENT_GATE,
        ("booked", "collected"),
        ("collected", "closed", False),
        *_from_each(("received", "awaiting_payment", "payment_failed", "booked"), "cancelled"),
    ),
    final=frozenset({"closed", "cancelled"}),
    automatic={"collected": "closed"},
    chargeable=True,
)

NEW_BIN = StateMachine(
    case_type="new_bin",
    edges=_edges(
        *_PAYMENT_GATE,
        ("booked", "delivered"),
        ("delivered", "closed", False),
        *_from_each(("received", "awaiting_payment", "payment_failed", "booked"), "cancelled"),
    ),
    final=frozenset({"closed", "cancelled"}),
    automatic={"delivered": "closed"},
    chargeable=True,
)

_PLANNING_OPEN = ("received", "validated", "invalid", "consultation", "awaiting_decision")
PLANNING_APPLICATION = StateMachine(
    case_type="planning_application",
    edges=_edges(
        ("received", "validated"),
        ("received", "invalid"),
        ("invalid", "validated"),
        ("validated", "consultation"),
        ("validated", "awaiting_decision"),
        ("consultation", "awaiting_decision", False),
        ("validated", "decided"),
        ("consultation", "decided"),
        ("awaiting_decision", "decided"),
        ("decided", "closed", False),
        *_from_each(_PLANNING_OPEN, "withdrawn"),
    ),
    final=frozenset({"closed", "withdrawn"}),
    automatic={"decided": "closed"},
    sla_met=frozenset({"decided", "closed", "withdrawn"}),
)

REPORT = StateMachine(
    case_type="report",
    edges=_edges(
        ("received", "investigating"),
        ("investigating", "action_scheduled"),
        ("action_scheduled", "resolved"),
        ("investigating", "resolved"),
        ("resolved", "closed", False),
        *_from_each(("received", "investigating"), "not_council_responsibility"),
    ),
    final=frozenset({"closed", "not_council_responsibility"}),
)

FOI_REQUEST = StateMachine(
    case_type="foi_request",
    edges=_edges(
        ("received", "in_progress"),
        ("received", "awaiting_clarification"),
        ("in_progress", "awaiting_clarification"),
        ("awaiting_clarification", "in_progress"),
        ("in_progress", "responded"),
        ("responded", "closed", False),
        *_from_each(("received", "in_progress", "awaiting_clarification"), "withdrawn"),
    ),
    final=frozenset({"closed", "withdrawn"}),
    paused=frozenset({"awaiting_clarification"}),
    sla_met=frozenset({"responded", "closed", "withdrawn"}),
)

MACHINES: dict[str, StateMachine] = {
    machine.case_type: machine
    for machine in (MISSED_BIN, BULKY_WASTE, NEW_BIN, PLANNING_APPLICATION, REPORT, FOI_REQUEST)
}

# Which case a submitted form opens; a form not listed opens a general report.
FORM_CASE_TYPES: dict[str, str] = {
    "missed-bin": "missed_bin",
    "bulky-waste": "bulky_waste",
    "new-bin": "new_bin",
    "replacement-bin": "new_bin",
    "fly-tipping": "report",
    "graffiti": "report",
    "pothole": "report",
    "foi-request": "foi_request",
}


def case_type_for_form(form_id: str) -> str:
    return FORM_CASE_TYPES.get(form_id, "report")


def machine_for(case_type: str) -> StateMachine:
    return MACHINES[case_type]
