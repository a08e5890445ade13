"""`python -m civic_runtime.ops <command>`: the argument parser and one handler per command.

Exit codes: 0 done; 1 failed (a refusal, Kafka lost while working); 2 nothing done: a usage
error, or Kafka not answering when the command starts.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.errors import KafkaError
from rich.console import Console
from rich.prompt import Confirm

from civic_runtime.cli import OperatorParser
from civic_runtime.ops import api_clients, lag, outbox, replay
from civic_runtime.ops.errors import OpsError, UsageError
from civic_runtime.ops.kafka import Cluster
from civic_runtime.ops.output import Output, table

Handler = Callable[[argparse.Namespace, Output], Awaitable[int]]

_REDRIVE_HELP = """\
Republish dead letters to their original topic: same key, body and headers (less the dlq-*
ones, plus `redriven-from`), with an idempotent producer and acks=all. Redriving a message twice
is harmless: every consumer applies an event once, by its event id (the inbox). Progress is kept
in a consumer group of its own (ops-redrive.<dlq topic>, one per --reason), committed after each
publish, so an interrupted redrive resumes where it stopped; --from-beginning ignores it.
"""


def _common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The options every command takes, accepted before or after the command's name.

    On the subcommands they default to SUPPRESS, so that an option given before the command is
    not overwritten by the subcommand's default.
    """

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--json", action="store_true", default=default(False), help="machine-readable output"
    )
    parser.add_argument(
        "--bootstrap-servers",
        default=default(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")),
        help="Kafka (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)",
    )
    parser.add_argument(
        "--topic-prefix",
        default=default(os.environ.get("TOPIC_PREFIX", os.environ.get("KAFKA_TOPIC_PREFIX", ""))),
        help="prefixed to every topic name (default: $TOPIC_PREFIX, else none)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = OperatorParser(
        prog="python -m civic_runtime.ops",
        description="Operating commands: dead letters, replays, consumer lag, outbox backlogs, "
        "API clients. Topics are named as in the registry, e.g. cases.lifecycle.v1.",
    )
    _common_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: Any, name: str, handler: Handler, **kwargs: Any) -> Any:
        sub = parent.add_parser(name, **kwargs)
        _common_options(sub, top=False)
        sub.set_defaults(handler=handler)
        return sub

    dead_letters = commands.add_parser("dlq", help="list or redrive a topic's dead letters")
    dlq_commands = dead_letters.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    listing = command(
        dlq_commands,
        "list",
        _dlq_list,
        help="the messages on TOPIC.dlq and why they are there (never their bodies by default)",
    )
    listing.add_argument("topic", metavar="TOPIC")
    listing.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    listing.add_argument("--reason", help="only those dead-lettered for this dlq-reason")
    listing.add_argument(
        "--show-body", action="store_true", help="print the bodies too (they hold personal data)"
    )

    redrive = command(
        dlq_commands,
        "redrive",
        _dlq_redrive,
        help="republish dead letters to their topic",
        description=_REDRIVE_HELP,
    )
    redrive.add_argument("topic", metavar="TOPIC")
    redrive.add_argument("--offsets", help="only these: PARTITION:OFFSET pairs, e.g. 0:12,1:3")
    redrive.add_argument("--reason", help="only those dead-lettered for this dlq-reason")
    redrive.add_argument("--all", action="store_true", dest="redrive_all", help="every one")
    redrive.add_argument("--dry-run", action="store_true", help="count them; publish nothing")
    redrive.add_argument(
        "--from-beginning", action="store_true", help="ignore the progress of earlier redrives"
    )

    replaying = command(
        commands,
        "replay",
        _replay,
        help="move a consumer group back (or forward) to a time on one topic",
        description="Reset GROUP's committed offsets on TOPIC to the first record at or after "
        "--since. The group's consumers must be stopped. Its inbox makes events it had already "
        "applied no-ops when they are read again.",
    )
    replaying.add_argument("topic", metavar="TOPIC")
    replaying.add_argument("--group", required=True)
    replaying.add_argument(
        "--since", required=True, type=_argument(replay.parse_since), help="ISO 8601"
    )
    replaying.add_argument("--yes", action="store_true", help="apply without asking")
    replaying.add_argument("--dry-run", action="store_true", help="show the moves only")
    replaying.add_argument(
        "--force", action="store_true", help="skip the check that the group has no members"
    )

    lagging = command(
        commands, "lag", _lag, help="committed offsets, ends and lag per group and topic"
    )
    lagging.add_argument(
        "--group",
        action="append",
        dest="groups",
        help="a consumer group (repeatable; default: every service's)",
    )

    backlog = command(commands, "outbox", _outbox, help="unpublished outbox rows per service")
    backlog.add_argument(
        "--database-url",
        action="append",
        dest="databases",
        type=_argument(outbox.parse_database),
        metavar="NAME=URL",
        help="repeatable; default: $<SERVICE>_DATABASE_URL or the local database of each service",
    )

    clients = commands.add_parser("api-client", help="API clients of intake")
    client_commands = clients.add_subparsers(dest="client_command", required=True, metavar="ACTION")
    create = command(
        client_commands,
        "create",
        _api_client_create,
        help="a new client (runs `python -m intake api-client create`); shows its key once",
    )
    create.add_argument("name")
    create.add_argument("--scopes", required=True, help="comma list: waste, planning, open311")
    create.add_argument(
        "--rotate",
        action="store_true",
        help="if the name exists, give that client a new key and secret and these scopes",
    )
    return parser


def _argument(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A parser of one option's value whose UsageError argparse reports as a usage error."""

    def parse_argument(text: str) -> Any:
        try:
            return parse(text)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    return parse_argument


def _cluster(args: argparse.Namespace) -> Cluster:
    return Cluster(args.bootstrap_servers, args.topic_prefix)


async def _dlq_list(args: argparse.Namespace, output: Output) -> int:
    # Imported here: dlq reaches the consumers' module, whose imports (FastStream…) are slow to
    # load, and the other commands have no use for them.
    from civic_runtime.ops import dlq

    if args.limit < 0:
        raise UsageError("--limit must not be negative")
    listing = await dlq.list_dead_letters(
        _cluster(args), args.topic, limit=args.limit, reason=args.reason, show_body=args.show_body
    )
    payload = {
        "dlq_topic": listing.dlq_topic,
        "total": listing.total,
        "shown": len(listing.dead_letters),
        "messages": [
            {k: v for k, v in vars(letter).items() if k != "body" or args.show_body}
            for letter in listing.dead_letters
        ],
    }

    def render(console: Console) -> None:
        rows = [
            [
                f"{d.partition}:{d.offset}",
                d.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
                d.key,
                d.event_type,
                d.reason,
                d.dlq.get("attempts"),
                d.dlq.get("consumer-group"),
                d.dlq.get("error"),
            ]
            for d in listing.dead_letters
        ]
        console.print(
            table(
                f"{listing.dlq_topic}: {len(rows)} shown of {listing.total}",
                ["at", "dead-lettered", "key", "event type", "reason", "tries", "group", "error"],
                rows,
            )
        )
        if args.show_body:
            for d in listing.dead_letters:
                console.print(f"[bold]{d.partition}:{d.offset}[/]", d.body, markup=True)

    output.result(payload, render)
    return 0


async def _dlq_redrive(args: argparse.Namespace, output: Output) -> int:
    from civic_runtime.ops import dlq

    request = dlq.RedriveRequest(
        topic=args.topic,
        offsets=dlq.parse_offsets(args.offsets) if args.offsets else None,
        reason=args.reason,
        redrive_all=args.redrive_all,
        dry_run=args.dry_run,
        from_beginning=args.from_beginning,
    )
    request.check()
    with output.progress(f"redriving {args.topic}.dlq") as progress:
        report = await dlq.redrive(_cluster(args), request, progress=progress)

    def render(console: Console) -> None:
        verb = "would redrive" if report.dry_run else "redrove"
        console.print(
            f"{verb} {report.redriven} of {report.scanned} dead letter(s) scanned on "
            f"{report.dlq_topic} to {report.topic}; {report.skipped} not selected"
        )
        if report.missing:
            console.print(f"[red]not found:[/] {', '.join(report.missing)}")

    output.result(report.as_json(), render)
    return 1 if report.missing else 0


async def _replay(args: argparse.Namespace, output: Output) -> int:
    cluster = _cluster(args)
    with output.progress(f"reading {args.group}'s offsets on {args.topic}", counted=False):
        plan = await replay.plan(
            cluster, args.topic, group=args.group, since=args.since, force=args.force
        )
    apply = args.yes and not args.dry_run
    if not apply and not args.dry_run:
        _render_replay(output.errors, plan)
        if not output.interactive:
            output.error("nothing changed: add --yes to apply these offsets (or --dry-run)")
            return 2
        apply = Confirm.ask(f"Move group {plan.group} to these offsets?", default=False)
        if not apply:
            output.note("nothing changed")
            return 1
    if apply:
        with output.progress(f"moving {plan.group} on {plan.topic}", counted=False):
            await replay.apply(cluster, plan)
    output.result(plan.as_json(applied=apply), lambda console: _render_replay(console, plan, apply))
    return 0


def _render_replay(console: Console, plan: replay.ReplayPlan, applied: bool | None = None) -> None:
    status = {None: "plan", True: "applied", False: "dry run, nothing changed"}[applied]
    console.print(
        table(
            f"{plan.group} on {plan.topic} since {plan.since.isoformat()} ({status})",
            ["partition", "committed", "→ new"],
            [[m.partition, m.old, m.new] for m in plan.moves],
        )
    )


async def _lag(args: argparse.Namespace, output: Output) -> int:
    cluster = _cluster(args)
    known = {group.name: group for group in lag.service_groups(cluster)}
    groups = (
        [known.get(name, lag.ConsumerGroup(name)) for name in args.groups]
        if args.groups
        else list(known.values())
    )
    report = await lag.consumer_lag(cluster, groups)

    def render(console: Console) -> None:
        rows = [
            [g.group, f"{g.state} ({g.members})", t.topic, t.committed, t.end, t.lag]
            if not t.missing
            else [g.group, f"{g.state} ({g.members})", t.topic, "no such topic", None, None]
            for g in report
            for t in g.topics
        ]
        console.print(
            table(
                "consumer lag",
                ["group", "state (members)", "topic", "committed", "end", "lag"],
                rows,
            )
        )

    output.result({"groups": [g.as_json() for g in report]}, render)
    return 0


async def _outbox(args: argparse.Namespace, output: Output) -> int:
    report = await outbox.backlogs(args.databases or outbox.service_databases())

    def render(console: Console) -> None:
        rows = [
            [b.service, b.unpublished, b.oldest_unpublished_age_s, b.published_last_minute]
            if b.error is None
            else [b.service, f"error: {b.error}", None, None]
            for b in report
        ]
        console.print(
            table(
                "outbox",
                ["service", "unpublished", "oldest unpublished (s)", "published last minute"],
                rows,
            )
        )

    output.result({"databases": [b.as_json() for b in report]}, render)
    return 1 if any(b.error for b in report) else 0


async def _api_client_create(args: argparse.Namespace, output: Output) -> int:
    result = await api_clients.create_api_client(
        name=args.name, scopes=args.scopes, rotate=args.rotate
    )
    sys.stdout.write(result.stdout)
    if result.exit_code != 0:
        lines = result.stderr.strip().splitlines()
        # intake's refusals are one `prog: error: why` line; a crash's last line says why.
        why = lines[-1].split(": error: ", 1)[-1] if lines else "no message"
        output.error(f"intake api-client create: {why}")
    elif result.stderr:
        sys.stderr.write(result.stderr)
    return result.exit_code


async def run(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    output = Output(json_mode=args.json, prog=parser.prog)
    try:
        handler: Handler = args.handler
        return await handler(args, output)
    except OpsError as exc:
        output.error(str(exc))
        return exc.exit_code
    except (KafkaError, OSError) as exc:
        output.error(f"Kafka at {args.bootstrap_servers}: {exc!r}")
        return 1


def main(argv: list[str] | None = None) -> None:
    # aiokafka logs each failed connection with a traceback; the command reports the failure
    # itself, once, in a sentence.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        code = asyncio.run(run(argv))
    except KeyboardInterrupt:
        print(
            "interrupted: nothing half-done is lost (a redrive resumes where it stopped)",
            file=sys.stderr,
        )
        code = 130
    raise SystemExit(code)
