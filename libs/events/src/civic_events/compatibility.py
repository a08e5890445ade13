"""Would a schema change break a consumer of a ``.v1`` topic?

A topic's log holds old and new messages side by side, so a change must let old consumers
read new messages *and* new consumers read old ones. The only change that does both is
adding an optional property. Everything else is reported: a property removed or renamed, a
type or format changed, an enum or const changed (narrowed or widened), a validation
constraint changed, a property newly required or no longer required, a new required
property. ``$ref`` targets are resolved through ``$defs``/``definitions`` and compared by
content, so renaming a definition alone breaks nothing. Annotations (title, description,
default, examples) are ignored.
"""

import json
from typing import Any

JsonSchema = dict[str, Any]

_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
    }
)
_CONSTRAINTS = (
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)


def breaking_changes(old: JsonSchema, new: JsonSchema) -> list[str]:
    """What in ``new`` would break a consumer of data valid against ``old``; empty if nothing."""
    return _Comparison(old, new).diff(old, new, "")


class _Comparison:
    def __init__(self, old_root: JsonSchema, new_root: JsonSchema) -> None:
        self._old_root = old_root
        self._new_root = new_root
        self._in_progress: set[tuple[int, int]] = set()

    def diff(self, old: JsonSchema, new: JsonSchema, path: str) -> list[str]:
        old = _resolve(old, self._old_root)
        new = _resolve(new, self._new_root)
        pair = (id(old), id(new))
        if pair in self._in_progress:  # a recursive schema: already being compared above
            return []
        self._in_progress.add(pair)
        try:
            old_branches = _branches(old, self._old_root)
            new_branches = _branches(new, self._new_root)
            if len(old_branches) == 1 and len(new_branches) == 1:
                return self._diff_one(old_branches[0], new_branches[0], path)
            return self._diff_alternatives(old_branches, new_branches, path)
        finally:
            self._in_progress.discard(pair)

    def _diff_alternatives(
        self, old_branches: list[JsonSchema], new_branches: list[JsonSchema], path: str
    ) -> list[str]:
        lost = [o for o in old_branches if all(self.diff(o, n, path) for n in new_branches)]
        gained = [n for n in new_branches if all(self.diff(o, n, path) for o in old_branches)]
        problems: list[str] = []
        for old in list(lost):
            twin = next((n for n in gained if _kind(n) == _kind(old)), None)
            if twin is not None:  # the same kind of value, changed inside: say what changed
                problems += self.diff(old, twin, path)
                lost.remove(old)
                gained.remove(twin)
        problems += [f"{_at(path)}: type changed: no longer accepts {_kind(o)}" for o in lost]
        problems += [f"{_at(path)}: type changed: may now be {_kind(n)}" for n in gained]
        return problems

    def _diff_one(self, old: JsonSchema, new: JsonSchema, path: str) -> list[str]:
        old_types, new_types = _types(old), _types(new)
        if old_types != new_types:
            return [f"{_at(path)}: type changed from {_kind(old)} to {_kind(new)}"]
        problems: list[str] = []
        if old.get("format") != new.get("format"):
            problems.append(
                f"{_at(path)}: format changed from {old.get('format')} to {new.get('format')}"
            )
        problems += _diff_values(old, new, path)
        for keyword in _CONSTRAINTS:
            if old.get(keyword) != new.get(keyword):
                problems.append(
                    f"{_at(path)}: {keyword} changed from {old.get(keyword)} to {new.get(keyword)}"
                )
        if old.get("$ref") != new.get("$ref"):  # only unresolvable (external) refs are left
            problems.append(f"{_at(path)}: $ref changed to {new.get('$ref')}")
        problems += self._diff_object(old, new, path)
        problems += self._diff_array(old, new, path)
        return problems

    def _diff_object(self, old: JsonSchema, new: JsonSchema, path: str) -> list[str]:
        old_props: dict[str, JsonSchema] = old.get("properties", {})
        new_props: dict[str, JsonSchema] = new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        added = [name for name in new_props if name not in old_props]
        problems: list[str] = []
        for name, old_prop in old_props.items():
            where = _join(path, name)
            if name not in new_props:
                hint = f" (new properties: {', '.join(added)})" if added else ""
                problems.append(f"{where}: property removed or renamed{hint}")
                continue
            problems += self.diff(old_prop, new_props[name], where)
            if name in new_required and name not in old_required:
                problems.append(f"{where}: property is now required")
            if name in old_required and name not in new_required:
                problems.append(f"{where}: property is no longer required")
        problems += [
            f"{_join(path, name)}: new required property" for name in added if name in new_required
        ]
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            problems += self.diff(old_extra, new_extra, _join(path, "{*}"))
        elif old_extra != new_extra and (old_extra, new_extra) not in ((None, True), (True, None)):
            problems.append(f"{_at(path)}: additionalProperties changed")
        return problems

    def _diff_array(self, old: JsonSchema, new: JsonSchema, path: str) -> list[str]:
        problems: list[str] = []
        old_items, new_items = old.get("items"), new.get("items")
        if isinstance(old_items, dict) and isinstance(new_items, dict):
            problems += self.diff(old_items, new_items, f"{path}[]")
        elif old_items != new_items:
            problems.append(f"{_at(path)}: items changed")
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        if len(old_prefix) != len(new_prefix):
            problems.append(f"{_at(path)}: tuple length changed")
        for index, (o, n) in enumerate(zip(old_prefix, new_prefix, strict=False)):
            problems += self.diff(o, n, f"{path}[{index}]")
        return problems


def _resolve(node: JsonSchema, root: JsonSchema) -> JsonSchema:
    seen: set[str] = set()
    while True:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
            seen.add(ref)
            target = _pointer(root, ref)
            if target is None:
                return node
            node = target
        elif _is_plain_wrapper(node, "allOf"):
            node = node["allOf"][0]
        else:
            return node


def _pointer(root: JsonSchema, ref: str) -> JsonSchema | None:
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) else None


def _is_plain_wrapper(node: JsonSchema, keyword: str) -> bool:
    options = node.get(keyword)
    if not (isinstance(options, list) and len(options) == 1):
        return False
    return all(key == keyword or key in _ANNOTATIONS for key in node)


def _branches(node: JsonSchema, root: JsonSchema) -> list[JsonSchema]:
    """The alternatives a value may match, with nested anyOf/oneOf flattened."""
    options = node.get("anyOf", node.get("oneOf"))
    if not isinstance(options, list):
        return [node]
    flattened: list[JsonSchema] = []
    for option in options:
        flattened += _branches(_resolve(option, root), root)
    return flattened


def _types(node: JsonSchema) -> frozenset[str] | None:
    declared = node.get("type")
    if declared is None:
        return None
    return frozenset([declared] if isinstance(declared, str) else declared)


def _allowed_values(node: JsonSchema) -> frozenset[str] | None:
    if "const" in node:
        return frozenset({json.dumps(node["const"], sort_keys=True)})
    if "enum" in node:
        return frozenset(json.dumps(value, sort_keys=True) for value in node["enum"])
    return None


def _diff_values(old: JsonSchema, new: JsonSchema, path: str) -> list[str]:
    old_values, new_values = _allowed_values(old), _allowed_values(new)
    if old_values == new_values:
        return []
    if new_values is None:
        return [f"{_at(path)}: no longer restricted to {sorted(old_values or ())}"]
    if old_values is None:
        return [f"{_at(path)}: now restricted to {sorted(new_values)}"]
    problems: list[str] = []
    if removed := old_values - new_values:
        problems.append(f"{_at(path)}: values no longer allowed: {', '.join(sorted(removed))}")
    if added := new_values - old_values:
        problems.append(f"{_at(path)}: new values old consumers reject: {', '.join(sorted(added))}")
    return problems


def _kind(node: JsonSchema) -> str:
    types = _types(node)
    kind = "/".join(sorted(types)) if types else "any"
    if "format" in node:
        kind += f" ({node['format']})"
    if "title" in node and types == frozenset({"object"}):
        kind += f" {node['title']}"
    return kind


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _at(path: str) -> str:
    return path or "(root)"
