"""`python -m intake [serve | migrate [upgrade|downgrade] [revision] | api-client …]`.

`api-client create NAME --scopes waste,planning` prints the new key and signing secret once;
`list`; `rotate NAME` (a new key and secret, printed once); `revoke NAME`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from civic_runtime.cli import run
from sqlalchemy.ext.asyncio import create_async_engine

from intake.bootstrap import MIGRATIONS_DIR, create_app
from intake.config import IntakeSettings
from intake.service_layer import api_clients


def api_client_command(argv: list[str], settings: IntakeSettings | None = None) -> int:
    parser = argparse.ArgumentParser(prog="intake api-client")
    commands = parser.add_subparsers(dest="action", required=True)
    create = commands.add_parser("create", help="a new client; prints its key and secret once")
    create.add_argument("name")
    create.add_argument("--scopes", required=True, help="comma list: waste, planning, open311")
    commands.add_parser("list", help="every client (never their keys)")
    rotate = commands.add_parser("rotate", help="a new key and secret; the old ones stop working")
    rotate.add_argument("name")
    revoke = commands.add_parser("revoke", help="the client's key stops working")
    revoke.add_argument("name")
    args = parser.parse_args(argv)
    return asyncio.run(_api_client(args, settings or IntakeSettings()))


async def _api_client(args: argparse.Namespace, settings: IntakeSettings) -> int:
    from civic_runtime.migrations import upgrade_async

    await upgrade_async(MIGRATIONS_DIR, settings.database_url)
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            from sqlalchemy.ext.asyncio import AsyncSession

            session = AsyncSession(bind=connection)
            if args.action == "create":
                try:
                    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
                    issued = await api_clients.create_api_client(
                        session=session, name=args.name, scopes=scopes
                    )
                except api_clients.UnknownScope as exc:
                    print(str(exc), file=sys.stderr)
                    return 2
                _print_credentials(issued)
            elif args.action == "list":
                print(json.dumps(await api_clients.list_api_clients(session=session), indent=2))
            elif args.action == "rotate":
                rotated = await api_clients.rotate_api_client(session=session, name=args.name)
                if rotated is None:
                    print(f"no active API client named {args.name!r}", file=sys.stderr)
                    return 1
                _print_credentials(rotated)
            elif args.action == "revoke":
                if not await api_clients.revoke_api_client(session=session, name=args.name):
                    print(f"no active API client named {args.name!r}", file=sys.stderr)
                    return 1
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
                "note": "shown once: store the key and secret now",
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
