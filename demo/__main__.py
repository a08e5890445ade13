"""`make demo` (`python -m demo [flow …]`): play each flow of DESIGN.md live against `make up`/`make run`.

For each flow it does what a resident, an officer or a back-office system would do, through the
same public APIs and simulators, and prints the events as they pass on Kafka and the messages
as residents receive them. Flows: missed-bin, planning, bulky-waste, disruption, crm (default:
all, in that order). It first checks that each service answers `/readyz` and each simulator
answers at all: if not, one line says what is missing and to start the platform (`make up`, or
`make run` in another terminal), and the exit status is 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer
from civic_events.envelope import PoisonMessage, decode
from civic_events.topics import ALL_TOPICS
from civic_runtime.cli import OperatorParser, refuse
from notifications_python_client.notifications import NotificationsAPIClient

from demo import readiness
from demo.district import district_file

LONDON = ZoneInfo("Europe/London")
NOTIFY_SIM_KEY = (
    "civic_local-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
)
URLS = {
    "intake": "http://127.0.0.1:8001",
    "cases": "http://127.0.0.1:8002",
    "notify": "http://127.0.0.1:8003",
    "payments": "http://127.0.0.1:8004",
    "waste": "http://127.0.0.1:8101",
    "planning": "http://127.0.0.1:8102",
    "pay": "http://127.0.0.1:8103",
    "govuk_notify": "http://127.0.0.1:8104",
}
LINK = re.compile(r"https?://\S+?/secure/\S+")
# The link confirming an address a resident gave (its last part the one-time token).
CONFIRM_LINK = re.compile(r"/contact-details/confirm/([A-Za-z0-9_-]+)")
FLOWS = ("missed-bin", "planning", "bulky-waste", "disruption", "crm")


def say(text: str = "", *, indent: int = 0) -> None:
    print(" " * indent + text, flush=True)


class Demo:
    def __init__(self, district: dict[str, Any], officer_token: str, prefix: str) -> None:
        self.district = district
        self.http = httpx.AsyncClient(timeout=10.0)
        self.officer = {"Authorization": f"Bearer {officer_token}"}
        self.prefix = prefix
        self.watched: set[str] = set()
        self.started = time.monotonic()
        self.received: dict[str, list[str]] = {}
        self.shown: set[str] = set()  # provider message ids already printed

    # --- watching Kafka and the providers --------------------------------------------------
    async def watch_events(self) -> None:
        consumer = AIOKafkaConsumer(
            *(self.prefix + topic.name for topic in ALL_TOPICS),
            bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            group_id=None,
            auto_offset_reset="latest",
        )
        await consumer.start()
        try:
            async for record in consumer:
                try:
                    event = decode(record.headers, record.value)
                except PoisonMessage:
                    continue
                if event.subject not in self.watched:
                    continue
                detail = ""
                for name in ("new_status", "status", "state", "amount", "round_id"):
                    value = getattr(event, name, None)
                    if value is not None:
                        detail = f"{name}={value}"
                        break
                topic = record.topic.removeprefix(self.prefix)
                say(f"⇢ {topic:<24} {type(event).__name__:<24} {event.subject} {detail}", indent=4)
        finally:
            await consumer.stop()

    async def provider_messages(self) -> list[dict[str, Any]]:
        client = NotificationsAPIClient(NOTIFY_SIM_KEY, base_url=URLS["govuk_notify"])
        page = await asyncio.to_thread(client.get_all_notifications)
        return list(page.get("notifications", []))

    async def show_messages(self, flow: str, addresses: list[str]) -> None:
        for message in sorted(await self.provider_messages(), key=lambda m: m["created_at"]):
            to = message.get("email_address") or message.get("phone_number") or ""
            if to not in addresses or message["id"] in self.shown:
                continue
            self.shown.add(message["id"])
            first = message["body"].strip().splitlines()[0][:90]
            what = message.get("subject") or first
            self.received.setdefault(flow, []).append(f"{message['type']} to {to}: {what}")
            say(f"✉ {message['type']:<5} to {to}: {what}", indent=4)

    async def until(
        self,
        flow: str,
        check: Callable[[], Awaitable[Any]],
        addresses: list[str],
        timeout: float = 90,  # noqa: ASYNC109 - a deadline for polling, not for one await
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self.show_messages(flow, addresses)
            result = await check()
            if result:
                await asyncio.sleep(2)
                await self.show_messages(flow, addresses)
                return result
            await asyncio.sleep(0.5)
        raise TimeoutError(f"{flow}: not done after {timeout:.0f}s")

    async def case_status(self, reference: str) -> str | None:
        response = await self.http.get(
            f"{URLS['cases']}/v1/cases/{reference}", headers=self.officer
        )
        return str(response.json()["status"]) if response.status_code == 200 else None

    async def submit(self, form_id: str, body: dict[str, Any]) -> str:
        response = await self.http.post(
            f"{URLS['intake']}/v1/forms/{form_id}/submissions", json=body
        )
        response.raise_for_status()
        reference = str(response.json()["reference"])
        self.watched.add(reference)
        say(f"→ intake answered {response.status_code} with reference {reference}", indent=4)
        return reference

    async def confirm_address(self, flow: str, reference: str, address: str) -> None:
        """A resident whose address is not confirmed yet gets, first, a link to confirm it: they
        follow it (the page posts its token to cases). One confirmed already gets none."""

        async def opened() -> dict[str, Any] | None:
            response = await self.http.get(
                f"{URLS['cases']}/v1/cases/{reference}", headers=self.officer
            )
            return dict(response.json()) if response.status_code == 200 else None

        case = await self.until(flow, opened, [address])
        resident = (
            await self.http.get(
                f"{URLS['cases']}/v1/residents/{case['resident_id']}", headers=self.officer
            )
        ).json()
        if resident["email_confirmed_at"] or resident["phone_confirmed_at"]:
            return

        async def link() -> str | None:
            for message in await self.provider_messages():
                found = CONFIRM_LINK.search(message["body"])
                to = message.get("email_address") or message.get("phone_number")
                if found and to == address and reference in message["body"]:
                    return found.group(1)
            return None

        token = await self.until(flow, link, [address])
        confirmed = await self.http.post(
            f"{URLS['cases']}/v1/contact-changes/confirm", json={"token": token}
        )
        confirmed.raise_for_status()
        say(
            "→ the resident follows the link in that first message: their address is confirmed",
            indent=4,
        )

    # --- the flows ----------------------------------------------------------------------------
    async def missed_bin(self) -> None:
        household = next(
            h for h in self.district["households"] if not h["uprn"].endswith(("13", "99"))
        )
        # By email: SMS and push wait for the morning between 21:00 and 08:00 (quiet hours).
        email = "ada.demo@example.org"
        today = datetime.now(UTC).astimezone(LONDON).date()
        await self.http.put(
            f"{URLS['waste']}/_simulator/properties/{household['uprn']}/collections",
            json={"bin_type": "refuse", "scheduled_date": today.isoformat(), "status": "missed"},
        )
        say(
            f"A resident at {household['address']} reports today's missed refuse bin, by email.",
            indent=2,
        )
        reference = await self.submit(
            "missed-bin",
            {
                "answers": {"bin_type": "refuse", "bin_presented": True},
                "location": {"uprn": household["uprn"]},
                "contact": {"name": "Ada Demo", "email": email},
                "preferred_channel": "email",
                "consent": True,
            },
        )
        await self.confirm_address("missed bin", reference, email)

        async def closed() -> bool:
            return await self.case_status(reference) == "closed"

        await self.until("missed bin", closed, [email])

    async def planning(self) -> None:
        subscribed = [r for r in self.district["residents"] if r["planning_alerts"] and r["email"]]
        homes = {h["uprn"]: h for h in self.district["households"]}
        neighbour = subscribed[0]
        home = homes[neighbour["uprn"]]
        reference = f"26/{uuid.uuid4().int % 90000 + 10000:05d}/HOU"
        self.watched.add(reference)
        applicant = {"name": "Priya Applicant", "email": "priya.applicant@example.org"}
        agent = {"name": "Downs Planning Ltd", "email": "agent@downs-planning.example.org"}
        say(
            f"The planning back office registers {reference}, next door to {home['address']}.",
            indent=2,
        )
        created = await self.http.post(
            f"{URLS['planning']}/_simulator/applications",
            json={
                "reference": reference,
                "application_type": "householder",
                "proposal": "Single storey rear extension",
                "site": {
                    "address": f"Next door to {home['address']}",
                    "latitude": home["latitude"] + 0.0005,
                    "longitude": home["longitude"],
                },
                "applicant": applicant,
                "agent": agent,
            },
        )
        created.raise_for_status()

        async def closed() -> bool:
            return await self.case_status(reference) == "closed"

        await self.until(
            "planning", closed, [applicant["email"], agent["email"], neighbour["email"]], 120
        )

    async def bulky_waste(self) -> str:
        household = self.district["households"][1]
        email = "bea.bulky@example.org"
        say(
            f"A resident at {household['address']} books a bulky-waste collection and pays.",
            indent=2,
        )
        day = datetime.now(UTC).astimezone(LONDON).date() + timedelta(days=14)
        reference = await self.submit(
            "bulky-waste",
            {
                "answers": {
                    "items": [{"item": "sofa", "quantity": 1}],
                    "preferred_date": day.isoformat(),
                    "location_on_property": "driveway",
                },
                "location": {"uprn": household["uprn"]},
                "contact": {"name": "Bea Demo", "email": email},
                "preferred_channel": "email",
                "consent": True,
            },
        )
        await self.confirm_address("bulky waste", reference, email)

        async def link() -> str | None:
            for message in await self.provider_messages():
                found = (
                    LINK.search(message["body"]) if message.get("email_address") == email else None
                )
                if found and reference in message["body"]:
                    return found.group(0)
            return None

        url = await self.until("bulky waste", link, [email])
        say(f"→ the resident follows the link and pays on the gateway's page: {url}", indent=4)
        page = await self.http.get(url, follow_redirects=True)
        action = re.search(r'action="(/secure/[^"]+/success)"', page.text)
        if action is None:
            raise RuntimeError("the payment page has no pay button")
        await self.http.post(f"{URLS['pay']}{action.group(1)}", follow_redirects=True)

        async def booked() -> bool:
            return await self.case_status(reference) == "booked"

        await self.until("bulky waste", booked, [email])
        return reference

    async def disruption(self) -> None:
        by_round: dict[str, int] = {}
        homes = {h["uprn"]: h for h in self.district["households"]}
        for resident in self.district["residents"]:
            if resident["disruption_alerts"]:
                round_id = homes[resident["uprn"]]["round_id"]
                by_round[round_id] = by_round.get(round_id, 0) + 1
        round_id = min(by_round, key=lambda r: (by_round[r], r))
        disruption_id = f"DEMO-SNOW-{uuid.uuid4().hex[:6]}"
        self.watched.update({round_id, disruption_id})
        say(
            f"The contractor reports snow on round {round_id} ({by_round[round_id]} residents opted in).",
            indent=2,
        )
        reported = await self.http.post(
            f"{URLS['waste']}/_simulator/disruptions",
            json={"round_id": round_id, "reason": "weather", "disruption_id": disruption_id},
        )
        reported.raise_for_status()

        async def done() -> dict[str, Any] | None:
            ids = await self.http.get(
                f"{URLS['notify']}/disruptions/{disruption_id}/broadcasts", headers=self.officer
            )
            if ids.status_code != 200 or not ids.json():
                return None
            progress = (
                await self.http.get(
                    f"{URLS['notify']}/broadcasts/{ids.json()[0]}", headers=self.officer
                )
            ).json()
            say(
                f"… broadcast {progress['status']}: {progress['handled']}/{progress['recipients']}",
                indent=4,
            )
            # Texts and push wait for the quiet hours' end: all else sent is the flow done now.
            held = progress.get("held_for_quiet_hours", 0)
            finished = progress["status"] == "done" or progress["outstanding"] == held
            return dict(progress) if finished else None

        progress = await self.until("disruption", done, [], 120)
        told = f"{progress['handled']} residents told, by channel: {json.dumps(progress['by_channel'])}"
        if progress.get("held_for_quiet_hours"):
            told += f"; {progress['held_for_quiet_hours']} wait for the quiet hours' end"
        self.received.setdefault("disruption", []).append(told)

    async def crm(self, reference: str) -> None:
        case = (
            await self.http.get(f"{URLS['cases']}/v1/cases/{reference}", headers=self.officer)
        ).json()
        resident = (
            await self.http.get(
                f"{URLS['cases']}/v1/residents/{case['resident_id']}", headers=self.officer
            )
        ).json()
        say(f"The officer opens the resident of {reference}: one timeline.", indent=2)
        for entry in resident["timeline"]:
            say(f"{entry['occurred_at'][:19]}  {entry['kind']:<15} {entry['summary']}", indent=4)

    async def close(self) -> None:
        await self.http.aclose()


async def main(flows: list[str]) -> int:
    district = json.loads(await asyncio.to_thread(district_file().read_text))
    demo = Demo(
        district,
        officer_token=os.environ.get("DEMO_OFFICER_TOKEN", "dev-officer-token"),
        prefix=os.environ.get("TOPIC_PREFIX", ""),
    )
    watcher = asyncio.get_running_loop().create_task(demo.watch_events())
    await asyncio.sleep(2)  # the watcher joins the topics' ends first
    bulky_reference: str | None = None
    try:
        for flow in flows:
            say(f"\n== {flow} " + "=" * (70 - len(flow)))
            if flow == "missed-bin":
                await demo.missed_bin()
            elif flow == "planning":
                await demo.planning()
            elif flow == "bulky-waste":
                bulky_reference = await demo.bulky_waste()
            elif flow == "disruption":
                await demo.disruption()
            elif flow == "crm":
                bulky_reference = bulky_reference or await demo.bulky_waste()
                await demo.crm(bulky_reference)
        say("\n== what residents received " + "=" * 44)
        for flow, lines in demo.received.items():
            say(f"{flow}:", indent=2)
            for line in lines:
                say(line, indent=4)
        return 0
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await demo.close()


async def platform_refusal() -> str | None:
    async with httpx.AsyncClient() as http:
        return await readiness.refusal(URLS, http)


def _flow(name: str) -> str:
    if name not in FLOWS:
        raise argparse.ArgumentTypeError(f"no flow {name!r}: the flows are {', '.join(FLOWS)}")
    return name


def cli(argv: list[str] | None = None) -> int:
    parser = OperatorParser(prog="python -m demo", description=__doc__)
    parser.add_argument(
        "flows", nargs="*", type=_flow, metavar="FLOW", help=f"{', '.join(FLOWS)} (default: all)"
    )
    flows = parser.parse_args(argv).flows or list(FLOWS)
    not_ready = asyncio.run(platform_refusal())
    if not_ready:
        return refuse(parser.prog, not_ready)
    if not district_file().exists():
        return refuse(
            parser.prog, f"{district_file()} not found: `make up` generates the demo district"
        )
    return asyncio.run(main(flows))


if __name__ == "__main__":
    sys.exit(cli())
