"""The app factory: a FastStream Kafka broker and a FastAPI app in one process, built from settings."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from civic_events.base import Event
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.specification.asyncapi.site import get_asyncapi_html
from faststream.specification.asyncapi.v3_0_0.schema import ApplicationSchema
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civic_runtime import db, migrations
from civic_runtime.asyncapi import asyncapi_document
from civic_runtime.body_limit import install_body_limit
from civic_runtime.consumers import EventHandlers, EventProcessor, RetryPolicy
from civic_runtime.metrics import RuntimeMetrics
from civic_runtime.outbox import OutboxRelay
from civic_runtime.periodic import BackgroundJob
from civic_runtime.problems import install_problem_handlers, problem
from civic_runtime.producer import EventProducer
from civic_runtime.settings import ServiceSettings
from civic_runtime.telemetry import configure_logging, configure_tracing
from civic_runtime.uow import UnitOfWork, connection_unit_of_work, unit_of_work

logger = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    """Everything a service's parts need, built once per process by `build_runtime`."""

    settings: ServiceSettings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    producer: EventProducer
    relay: OutboxRelay
    broker: KafkaBroker
    metrics: RuntimeMetrics
    processor: EventProcessor
    tracer_provider: TracerProvider
    handlers: EventHandlers
    # The event types the service publishes, for its AsyncAPI document.
    produces: tuple[type[Event], ...]

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self.session_factory, on_commit=self.relay.wake)

    def connection_unit_of_work(
        self, *, atomic: bool = True
    ) -> AbstractAsyncContextManager[UnitOfWork[AsyncConnection]]:
        """A unit of work on a Core connection, for work that needs no ORM session."""
        return connection_unit_of_work(self.engine, atomic=atomic, on_commit=self.relay.wake)


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def _runtime(request: Request) -> ServiceRuntime:
    # A dependency declared `async def` runs on the event loop; a plain `def` one would be sent
    # to the thread pool on every request.
    return get_runtime(request)


async def get_unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    async with get_runtime(request).unit_of_work() as uow:
        yield uow


RuntimeDep = Annotated[ServiceRuntime, Depends(_runtime)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]


def build_runtime(
    settings: ServiceSettings,
    *,
    handlers: EventHandlers | None = None,
    produces: Sequence[type[Event]] = (),
) -> ServiceRuntime:
    """The runtime's parts, not yet started: a service builds its own parts on them (its jobs
    need the unit of work) before `create_service` makes the app. `produces`: the event types
    the service publishes (through the outbox), for its AsyncAPI document. Production settings
    with an unsafe value are refused here (UnsafeSettings), before anything is built."""
    settings.refuse_in_production()
    configure_logging(
        service_name=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    tracer_provider = configure_tracing(settings.service_name)
    _instrument_asyncpg()
    metrics = RuntimeMetrics()
    handlers = handlers or EventHandlers()

    engine = db.create_engine(settings)
    session_factory = db.create_session_factory(engine)
    producer = EventProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id=settings.service_name
    )
    relay = OutboxRelay(
        database_url=settings.database_url,
        producer=producer,
        metrics=metrics,
        poll_interval_s=settings.outbox_poll_interval_ms / 1000,
        batch_size=settings.outbox_batch_size,
        retention_hours=settings.outbox_retention_hours,
        topic_prefix=settings.topic_prefix,
    )
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        graceful_timeout=settings.graceful_shutdown_s,
        # FastStream's own lines go through our JSON handler; per-message lines only at DEBUG.
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,
        middlewares=[
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            KafkaPrometheusMiddleware(registry=metrics.registry, app_name=settings.service_name),
        ],
    )
    processor = EventProcessor(
        handlers=handlers,
        session_factory=session_factory,
        producer=producer,
        metrics=metrics,
        group_id=settings.group_id,
        retry=RetryPolicy(
            max_attempts=settings.retry_max_attempts,
            initial_backoff_s=settings.retry_initial_backoff_ms / 1000,
            max_backoff_s=settings.retry_max_backoff_ms / 1000,
            outage_max_backoff_s=settings.outage_max_backoff_ms / 1000,
        ),
        on_commit=relay.wake,
        topic_prefix=settings.topic_prefix,
        commit_interval_s=settings.commit_interval_ms / 1000,
        batch_size=settings.consumer_batch_size,
    )
    if settings.consumer_enabled:
        processor.subscribe(broker, auto_offset_reset=settings.consume_from)
    # Never called (the outbox relay publishes): they give the document its channels out.
    for topic in dict.fromkeys(model.topic for model in produces):
        broker.publisher(
            settings.topic_prefix + topic.name, title=f"{topic.name}:{settings.service_name}"
        )

    return ServiceRuntime(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        producer=producer,
        relay=relay,
        broker=broker,
        metrics=metrics,
        processor=processor,
        tracer_provider=tracer_provider,
        handlers=handlers,
        produces=tuple(produces),
    )


Step = Callable[[], Awaitable[object]]


def create_service(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    migrations_dir: Path,
    routers: Sequence[APIRouter] = (),
    on_startup: Sequence[Step] = (),
    background: Sequence[BackgroundJob] = (),
    on_shutdown: Sequence[Step] = (),
) -> FastAPI:
    """The service's app, whose lifespan starts the runtime, runs `on_startup` in order, then
    starts the `background` jobs; on the way down it stops the jobs (last started, first
    stopped), then the runtime, then runs `on_shutdown` in order (also when start-up failed)."""
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as closing:
            # Clients are closed only after the consumers have stopped: an in-flight handler
            # may still call them.
            for step in reversed(on_shutdown):
                closing.push_async_callback(step)
            await _start(runtime, migrations_dir)
            try:
                async with AsyncExitStack() as jobs:
                    for step in on_startup:
                        await step()
                    for job in background:
                        job.start()
                        jobs.push_async_callback(_stop_job, job)
                    logger.info("%s started", settings.service_name)
                    yield
            finally:
                await _stop(runtime)
                logger.info("%s stopped", settings.service_name)

    app = FastAPI(title=title, description=description, lifespan=lifespan)
    app.state.runtime = runtime
    install_problem_handlers(app)
    # Inside the metrics middleware, so that refused bodies are counted as 413s.
    install_body_limit(app, settings.max_request_body_bytes)
    _install_http_metrics(app, runtime.metrics)
    app.include_router(_operations_router(title=title, description=description))
    for router in routers:
        app.include_router(router)
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=runtime.tracer_provider,
        excluded_urls="healthz,readyz,metrics",
        # One server span per request, without a span for each ASGI message it sends or reads.
        exclude_spans=["receive", "send"],
    )
    return app


async def _start(runtime: ServiceRuntime, migrations_dir: Path) -> None:
    settings = runtime.settings
    if settings.migrate_on_start:
        await migrations.upgrade_async(migrations_dir, settings.database_url)
    await runtime.producer.start()
    if settings.outbox_enabled:
        runtime.relay.start()
    runtime.processor.offsets.start()
    await runtime.broker.start()
    runtime.processor.lag.start()


async def _stop(runtime: ServiceRuntime) -> None:
    # Commit finished records' offsets; stop taking records and let in-flight ones finish
    # (each commits as it finishes); publish what the outbox holds; flush the producer.
    await runtime.processor.lag.stop()
    await runtime.processor.offsets.close()
    await runtime.broker.stop()
    if runtime.settings.outbox_enabled:
        await runtime.relay.stop()
    await runtime.producer.stop()
    await runtime.engine.dispose()


async def _stop_job(job: BackgroundJob) -> None:
    # One job that cannot stop cleanly must not keep the others or the runtime running.
    try:
        await job.stop()
    except Exception:
        logger.exception("%s did not stop cleanly", type(job).__name__)


def _operations_router(*, title: str, description: str) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", response_model=None)
    async def readyz(runtime: RuntimeDep) -> dict[str, object] | JSONResponse:
        checks: dict[str, str] = {}
        for name, check in (
            ("database", db.ping(runtime.engine)),
            ("kafka", runtime.producer.ping()),
        ):
            try:
                await asyncio.wait_for(check, timeout=2.0)
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"unreachable: {type(exc).__name__}"
        if all(state == "ok" for state in checks.values()):
            return {"status": "ready", "checks": checks}
        return problem(503, detail="a dependency is unreachable", checks=checks)

    @router.get("/metrics", include_in_schema=False)
    async def metrics(runtime: RuntimeDep) -> Response:
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def document(runtime: ServiceRuntime) -> ApplicationSchema:
        return asyncapi_document(
            runtime.broker,
            title=title,
            description=description,
            consumes=[registration.event_type for registration in runtime.handlers.registrations],
            produces=runtime.produces,
            topic_prefix=runtime.settings.topic_prefix,
        )

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json(runtime: RuntimeDep) -> Response:
        return Response(document(runtime).to_json(), media_type="application/json")

    @router.get("/asyncapi", include_in_schema=False)
    async def asyncapi_html(runtime: RuntimeDep) -> HTMLResponse:
        return HTMLResponse(get_asyncapi_html(document(runtime), try_it_out_path=None))

    return router


def _install_http_metrics(app: FastAPI, metrics: RuntimeMetrics) -> None:
    requests = Counter(
        "civic_http_requests_total",
        "HTTP requests by route and status.",
        ["method", "route", "status"],
        registry=metrics.registry,
    )
    latency = Histogram(
        "civic_http_request_seconds",
        "HTTP request latency.",
        ["method", "route"],
        registry=metrics.registry,
    )

    class MeasureRequests:
        """Counts and times each HTTP request by its route template (a plain ASGI middleware:
        Starlette's BaseHTTPMiddleware costs a task and a stream per request)."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 500

            async def send_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, send_status)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                requests.labels(scope["method"], route, str(status)).inc()
                latency.labels(scope["method"], route).observe(time.perf_counter() - started)

    app.add_middleware(MeasureRequests)


_asyncpg_instrumented = False


def _instrument_asyncpg() -> None:
    global _asyncpg_instrumented
    if not _asyncpg_instrumented:
        AsyncPGInstrumentor().instrument()
        _asyncpg_instrumented = True
