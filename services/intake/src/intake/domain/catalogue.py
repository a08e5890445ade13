"""The catalogue of published forms, every version, in memory for validation at request time."""

from __future__ import annotations

from collections.abc import Iterable

from intake.domain.forms import FormDefinition


class Catalogue:
    def __init__(self, forms: Iterable[FormDefinition] = ()) -> None:
        self._versions: dict[str, dict[int, FormDefinition]] = {}
        for form in forms:
            self._versions.setdefault(form.form_id, {})[form.version] = form

    def current(self, form_id: str) -> FormDefinition | None:
        versions = self._versions.get(form_id)
        return versions[max(versions)] if versions else None

    def version(self, form_id: str, version: int) -> FormDefinition | None:
        return self._versions.get(form_id, {}).get(version)

    def versions(self, form_id: str) -> list[int]:
        return sorted(self._versions.get(form_id, {}))

    def all_current(self) -> list[FormDefinition]:
        return [self._versions[form_id][max(v)] for form_id, v in sorted(self._versions.items())]

    def by_service_code(self, service_code: str) -> FormDefinition | None:
        for form in self.all_current():
            if form.service_code == service_code:
                return form
        return None
