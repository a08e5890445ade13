"""`python -m intake [serve | migrate [upgrade|downgrade] [revision] | api-client …]`.

`api-client create NAME --scopes waste,planning [--rotate]` prints the new key and signing secret
once (`--rotate`: a new key and secret for a client of that name, created if absent); `list`;
`rotate NAME` (a new key and secret, printed once); `revoke NAME`. A refusal (a name taken, an
unknown scope or client, the database not answering) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from civic_runtime.cli import OperatorParser, refuse, require, run
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from intake.bootstrap import MIGRATIONS_DIR, create_app
from intake.config import IntakeSettings
from intake.service_layer import api_clients

PROG = "intake api-client"


class NoSuchClient(Exception):
    pass


def api_client_command(argv: list[str], settings: IntakeSettings | None = None) -> int:
    parser = OperatorParser(prog=PROG)
    commands = parser.add_subparsers(dest="action", required=True)
    create = commands.add_parser("create", help="a new client; prints its key and secret once")
    create.add_argument("name")
    create.add_argument(
        "--scopes", required=True, type=_scopes, help="comma list: " + ", ".join(api_clients.SCOPES)
    )
    create.add_argument(
        "--rotate",
        action="store_true",
        help="if the name exists, give that client a new key and secret and these scopes",
    )
    commands.add_parser("list", help="every client (never their keys)")
    rotate = commands.add_parser("rotate", help="a new key and secret; the old ones stop working")
    rotate.add_argument("name")
    revoke = commands.add_parser("revoke", help="the client's key stops working")
    revoke.add_argument("name")
    args = parser.parse_args(argv)
    settings = settings or IntakeSettings()
    require(PROG, database_url=settings.database_url)
    try:
        return asyncio.run(_api_client(args, settings))
    except api_clients.ApiClientExists as exc:
        return refuse(
            f"{PROG} create",
            f"{exc}: add --rotate to give it a new key and secret with these scopes "
            "(its current key stops working)",
        )
    except NoSuchClient as exc:
        return refuse(f"{PROG} {args.action}", f"{exc} (see `python -m intake api-client list`)")


def _scopes(text: str) -> list[str]:
    try:
        return api_clients.check_scopes([s.strip() for s in text.split(",") if s.strip()])
    except api_clients.UnknownScope as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


async def _api_client(args: argparse.Namespace, settings: IntakeSettings) -> int:
    from civic_runtime.migrations import upgrade_async

    await upgrade_async(MIGRATIONS_DIR, settings.database_url)
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            if args.action == "create":
                issued = await api_clients.create_api_client(
                    session=session, name=args.name, scopes=args.scopes, rotate=args.rotate
                )
                _print_credentials(issued)
            elif args.action == "list":
                print(json.dumps(await api_clients.list_api_clients(session=session), indent=2))
            elif args.action == "rotate":
                rotated = await api_clients.rotate_api_client(session=session, name=args.name)
                if rotated is None:
                    raise NoSuchClient(f"no active API client named {args.name!r}")
                _print_credentials(rotated)
            elif args.action == "revoke":
                if not await api_clients.revoke_api_client(session=session, name=args.name):
                    raise NoSuchClient(f"no active API client named {args.name!r}")
                print(f"revoked {args.name}")
            await session.flush()
    finally:
        await engine.dispose()
    return 0


def _print_credentials(issued: api_clients.IssuedCredentials) -> None:
    print(
        json.dumps(
            {
                "id": str(issued.client_id),
                "name": issued.name,
                "scopes": issued.scopes,
                "api_key": issued.api_key,
                "signing_secret": issued.signing_secret,
                "replaced": issued.replaced,
                "note": "shown once: store the key and secret now"
                + ("; the earlier ones no longer work" if issued.replaced else ""),
            },
            indent=2,
        )
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["api-client"]:
        raise SystemExit(api_client_command(argv[1:]))
    run(
        prog="intake",
        load_settings=IntakeSettings,
        create_app=create_app,
        migrations_dir=MIGRATIONS_DIR,
        argv=argv,
    )


if __name__ == "__main__":
    main()
