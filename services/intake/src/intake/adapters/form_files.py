"""Form definitions as files (`forms/<form-id>.v<version>.json`), and their copy in the database.

Files are the source; the database holds every version ever published, so a submission made
against an older version can always be read against the schema it was checked with.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.adapters.tables import form_version
from intake.domain.forms import FormDefinition, InvalidFormDefinition


def read_form_files(directory: Path) -> list[FormDefinition]:
    forms: list[FormDefinition] = []
    for path in sorted(directory.glob("*.v*.json")):
        try:
            form = FormDefinition.from_document(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, InvalidFormDefinition) as exc:
            raise InvalidFormDefinition(f"{path.name}: {exc}") from exc
        if path.name != f"{form.form_id}.v{form.version}.json":
            raise InvalidFormDefinition(f"{path.name}: file name must be <id>.v<version>.json")
        forms.append(form)
    return forms


async def publish_forms(*, session: AsyncSession, forms: list[FormDefinition]) -> None:
    """Store versions not yet stored; refuse a file that changes an already published version."""
    for form in forms:
        await session.execute(
            insert(form_version)
            .values(
                form_id=form.form_id,
                version=form.version,
                title=form.title,
                family=form.family,
                service_code=form.service_code,
                definition=form.definition,
            )
            .on_conflict_do_nothing()
        )
        stored = await session.scalar(
            sa.select(form_version.c.definition).where(
                form_version.c.form_id == form.form_id, form_version.c.version == form.version
            )
        )
        if stored != form.definition:
            raise InvalidFormDefinition(
                f"{form.form_id} v{form.version} differs from the published version: "
                "publish a new version instead of editing one"
            )


async def load_published_forms(*, session: AsyncSession) -> list[FormDefinition]:
    rows = await session.execute(
        sa.select(form_version.c.definition).order_by(
            form_version.c.form_id, form_version.c.version
        )
    )
    return [FormDefinition.from_document(definition) for (definition,) in rows]
