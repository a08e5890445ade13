"""Who may call notify's HTTP API: templates and broadcasts only a template editor, a resident's
preferences and notifications only an officer; anyone else a 401 or 403 problem, never a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from civic_simulators.identity_provider import KeyPair
from notify.service_layer.preferences import record_resident

pytestmark = pytest.mark.integration

# (method, path, body, who may, the answer they get); {resident} is a known resident.
ROUTES: list[tuple[str, str, dict[str, Any] | None, str, int]] = [
    ("GET", "/templates", None, "editor", 200),
    (
        "PUT",
        "/templates/case_opened.missed_bin/sms",
        {"body": "Got it: ((reference)). Track it: ((status_page_url))"},
        "editor",
        201,
    ),
    ("GET", "/templates/case_opened/email", None, "editor", 200),
    ("POST", "/templates/case_opened/email/preview", {}, "editor", 200),
    ("GET", f"/broadcasts/{uuid.uuid4()}", None, "editor", 404),
    ("GET", "/disruptions/DIS-2026-0001/broadcasts", None, "editor", 200),
    ("GET", "/residents/{resident}/preferences", None, "officer", 200),
    ("PATCH", "/residents/{resident}/preferences", {"disruption_alerts": False}, "officer", 200),
    ("GET", "/residents/{resident}/notifications", None, "officer", 200),
    ("GET", f"/notifications/{uuid.uuid4()}", None, "officer", 404),
]
OTHER = {"editor": "officer", "officer": "editor"}


async def test_each_protected_route_refuses_strangers_and_the_wrong_role(
    notify_kit: Any, http: Any
) -> None:
    resident = notify_kit.resident(channel="email")
    identity = KeyPair("RS256", audience="civic-notify")
    async with (
        notify_kit.service(
            consumer_enabled=False, officer_jwt_public_key=identity.public_pem
        ) as notify,
        http(notify.base_url) as api,
    ):
        async with notify.app.state.runtime.unit_of_work() as uow:
            await record_resident(session=uow.session, event=resident)
        await notify.holds_case(resident.resident_id)  # a case of the officer's team
        headers = {"editor": notify_kit.as_editor, "officer": notify_kit.as_officer}
        strangers = [
            {},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": f"Bearer {notify.settings.govuk_notify_callback_token}"},
            {"Authorization": f"Bearer {KeyPair('RS256', audience='civic-notify').token()}"},
            {"Authorization": f"Bearer {identity.token(aud='civic-cases')}"},
            {
                "Authorization": "Bearer "
                + identity.token(exp=datetime.now(UTC) - timedelta(minutes=5))
            },
        ]
        for method, template, body, who, expected in ROUTES:
            path = template.format(resident=resident.resident_id)
            for stranger in strangers:
                refused = await api.request(method, path, json=body, headers=stranger)
                assert refused.status_code == 401, (method, path, stranger, refused.text)
                assert refused.headers["content-type"] == "application/problem+json"
                assert refused.headers["www-authenticate"] == "Bearer"
            wrong_role = await api.request(method, path, json=body, headers=headers[OTHER[who]])
            assert wrong_role.status_code == 403, (method, path, wrong_role.text)
            assert wrong_role.headers["content-type"] == "application/problem+json"
            accepted = await api.request(method, path, json=body, headers=headers[who])
            assert accepted.status_code == expected, (method, path, accepted.text)

        # The council's identity provider's JWT carries the role in its `roles` claim, as for cases.
        def jwt_of(*roles: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {identity.token(roles=list(roles))}"}

        assert (await api.get("/templates", headers=jwt_of("template-editor"))).status_code == 200
        assert (await api.get("/templates", headers=jwt_of("officer"))).status_code == 403
        preferences = f"/residents/{resident.resident_id}/preferences"
        assert (await api.get(preferences, headers=jwt_of("team_lead"))).status_code == 200
        assert (await api.get(preferences, headers=jwt_of("resident"))).status_code == 403


async def test_a_refused_change_changes_nothing(notify_kit: Any, http: Any) -> None:
    resident = notify_kit.resident(channel="email")
    async with (
        notify_kit.service(consumer_enabled=False) as notify,
        http(notify.base_url) as api,
    ):
        async with notify.app.state.runtime.unit_of_work() as uow:
            await record_resident(session=uow.session, event=resident)
        await notify.holds_case(resident.resident_id)  # a case of the officer's team
        path = f"/residents/{resident.resident_id}/preferences"
        hijack = {"push_subscription": None, "case_updates": False, "preferred_channel": "sms"}
        assert (await api.patch(path, json=hijack)).status_code == 401
        assert (await api.patch(path, json=hijack, headers=notify_kit.as_editor)).status_code == 403
        template = "/templates/case_opened/sms"
        phishing = {"body": "Pay now at https://evil.example ((reference))"}
        assert (await api.put(template, json=phishing)).status_code == 401
        assert (
            await api.put(template, json=phishing, headers=notify_kit.as_officer)
        ).status_code == 403

        kept = (await api.get(path, headers=notify_kit.as_officer)).json()
        assert (kept["preferred_channel"], kept["case_updates"]) == ("email", True)
        shipped = (await api.get(template, headers=notify_kit.as_editor)).json()
        assert shipped["version"] == 1 and "evil" not in shipped["body"]


async def test_an_officer_sees_only_residents_of_their_teams(notify_kit: Any, http: Any) -> None:
    """As in cases' officer API: a resident with a case of a type the officer's teams handle; one
    with no case at all, team leads only; any other the same 404 as one that does not exist."""
    waste, planning, nobody = (notify_kit.resident(channel="email") for _ in range(3))
    identity = KeyPair("RS256", audience="civic-notify")

    def officer(*teams: str, role: str = "officer") -> dict[str, str]:
        return {"Authorization": f"Bearer {identity.token(roles=[role], teams=list(teams))}"}

    async with (
        notify_kit.service(
            consumer_enabled=False, officer_jwt_public_key=identity.public_pem
        ) as notify,
        http(notify.base_url) as api,
    ):
        async with notify.app.state.runtime.unit_of_work() as uow:
            for resident in (waste, planning, nobody):
                await record_resident(session=uow.session, event=resident)
        await notify.holds_case(waste.resident_id, "missed_bin")
        await notify.holds_case(planning.resident_id, "planning_application")
        for resident, teams, seen in (
            (waste, ("waste",), 200),
            (waste, ("planning",), 404),
            (planning, ("planning",), 200),
            (planning, ("waste", "environment"), 404),
            (nobody, ("waste",), 404),
        ):
            for method, template, body, _, _ in ROUTES:
                if "{resident}" not in template:
                    continue
                path = template.format(resident=resident.resident_id)
                answer = await api.request(method, path, json=body, headers=officer(*teams))
                assert answer.status_code == seen, (teams, method, path, answer.text)
        lead = officer("planning", role="team_lead")
        path = f"/residents/{nobody.resident_id}/preferences"
        assert (await api.get(path, headers=lead)).status_code == 200
        path = f"/residents/{waste.resident_id}/preferences"
        assert (await api.get(path, headers=lead)).status_code == 404
