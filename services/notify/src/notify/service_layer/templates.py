"""Templates: versioned, checked when saved, the latest version of the most specific name used."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify.adapters.tables import TemplateVersion
from notify.domain.default_templates import DEFAULT_TEMPLATES
from notify.domain.templates import Channel, TemplateContent

_templates = TemplateVersion.__table__


async def save_template(*, session: AsyncSession, content: TemplateContent) -> int:
    """Check, then store as the next version; returns the version number."""
    content.check()
    # Serialise concurrent saves of one template so versions do not collide.
    await session.execute(
        sa.select(
            sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"{content.name}/{content.channel}"))
        )
    )
    latest = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(_templates.c.version), 0)).where(
            _templates.c.name == content.name, _templates.c.channel == content.channel
        )
    )
    version = int(latest or 0) + 1
    await session.execute(
        sa.insert(_templates).values(
            name=content.name,
            channel=content.channel,
            version=version,
            subject=content.subject,
            body=content.body,
            link=content.link,
        )
    )
    return version


async def install_defaults(*, session: AsyncSession) -> None:
    """Version 1 of every shipped template, unless it is already there."""
    for content in DEFAULT_TEMPLATES:
        content.check()
    await session.execute(
        insert(_templates)
        .values(
            [
                {
                    "name": c.name,
                    "channel": c.channel,
                    "version": 1,
                    "subject": c.subject,
                    "body": c.body,
                    "link": c.link,
                }
                for c in DEFAULT_TEMPLATES
            ]
        )
        .on_conflict_do_nothing()
    )


def candidates(name: str) -> list[str]:
    """`a.b.c` → `a.b.c`, `a.b`, `a`: the most specific template first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


# Built once: every message a consumer claims at its creation resolves its template.
_RESOLVE = (
    sa.select(_templates)
    .where(
        _templates.c.name.in_(sa.bindparam("resolve_names", expanding=True)),
        _templates.c.channel == sa.bindparam("resolve_channel"),
    )
    .order_by(sa.func.length(_templates.c.name).desc(), _templates.c.version.desc())
    .limit(1)
)


async def resolve(
    *, session: AsyncSession, name: str, channel: Channel
) -> tuple[TemplateContent, int] | None:
    """The latest version of the most specific template for `name` on `channel`."""
    result = await session.execute(
        _RESOLVE, {"resolve_names": candidates(name), "resolve_channel": channel}
    )
    row = result.mappings().first()
    if row is None:
        return None
    return _content(row), row["version"]


async def get_version(
    *, session: AsyncSession, name: str, channel: Channel, version: int | None = None
) -> tuple[TemplateContent, int] | None:
    query = sa.select(_templates).where(_templates.c.name == name, _templates.c.channel == channel)
    query = query.where(_templates.c.version == version) if version else query
    row = (
        (await session.execute(query.order_by(_templates.c.version.desc()).limit(1)))
        .mappings()
        .first()
    )
    return (_content(row), row["version"]) if row else None


async def list_latest(*, session: AsyncSession) -> list[dict[str, Any]]:
    result = await session.execute(
        sa.select(_templates)
        .ext(distinct_on(_templates.c.name, _templates.c.channel))
        .order_by(_templates.c.name, _templates.c.channel, _templates.c.version.desc())
    )
    return [dict(row) for row in result.mappings()]


def _content(row: Any) -> TemplateContent:
    return TemplateContent(
        name=row["name"],
        channel=row["channel"],
        subject=row["subject"],
        body=row["body"],
        link=row["link"],
    )
