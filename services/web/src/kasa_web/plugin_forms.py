"""A plugin's configuration form, drawn from the JSON Schemas the API serves for it.

A plugin declares its ``Settings`` and ``Credentials`` as pydantic models; the API serves their
JSON Schemas, and this module turns them into form fields and turns the submitted form back
into the configuration JSON. Nothing here knows any plugin, so a new plugin gets its form
without web code.

Form field names are the dotted locations the API uses in its validation errors
(``settings.count``, ``settings.invoice_payments.0.amount``), so each error lands next to
its field. Credentials are write-only: their fields are never filled in, and a field left
empty keeps the stored value.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

SETTINGS = "settings"
CREDENTIALS = "credentials"
REMOVE = "__remove"
"""The checkbox that drops a row of a list (``<list>.<i>.__remove``)."""
CLEAR = "__clear"
"""The checkbox that forgets a stored optional secret (``<name>.__clear``)."""

_NO_DEFAULT = object()
INVALID_JSON = "Enter valid JSON."
"""The one error the web finds itself (the message id; the page translates it)."""
_INDEX = re.compile(r"^(\d+)\.")


@dataclass(frozen=True)
class SchemaField:
    """One field of the form; ``name`` is its form name (and the API's error location)."""

    name: str
    key: str
    kind: str
    """text, integer, number, decimal, boolean, select, date, datetime, email, url, secret,
    lines (a list of plain values, one a line), rows (a list of objects), group, json."""
    label: str
    help: str | None = None
    required: bool = False
    default: Any = _NO_DEFAULT
    options: tuple[tuple[str, str], ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)
    value_type: str = "string"
    """The JSON type the value is sent as: string, integer, number, boolean."""
    columns: tuple["SchemaField", ...] = ()
    """The fields of each row (``rows``) or of the group (``group``)."""

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    @property
    def secret(self) -> bool:
        return self.kind == "secret"

    def cell(self, index: int, column: "SchemaField") -> str:
        """The form name of ``column`` in row ``index`` of this list."""
        return f"{self.name}.{index}.{column.key}"


@dataclass
class Submission:
    """What a submitted form asks the API to store, and what could not be read at all."""

    enabled: bool
    settings: dict[str, Any]
    credentials: dict[str, Any] | None
    errors: dict[str, str] = field(default_factory=dict)
    """Fields the web could not turn into JSON (such as a malformed JSON value)."""
    moved: dict[str, str] = field(default_factory=dict)
    """Rows sent at another index than their form row (emptied rows are left out)."""

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"enabled": self.enabled, "settings": self.settings}
        if self.credentials:
            body["credentials"] = self.credentials
        return body


@dataclass(frozen=True)
class PluginForm:
    """The settings and credentials fields of one plugin."""

    settings: tuple[SchemaField, ...]
    credentials: tuple[SchemaField, ...]

    @classmethod
    def of(cls, plugin: dict[str, Any]) -> "PluginForm":
        return cls(
            settings=tuple(fields_of(plugin.get("settings_schema") or {}, SETTINGS)),
            credentials=tuple(
                fields_of(plugin.get("credentials_schema") or {}, CREDENTIALS, secret=True)
            ),
        )

    @property
    def empty(self) -> bool:
        return not self.settings and not self.credentials

    @property
    def names(self) -> dict[str, str]:
        """Every field's form name, for placing the API's errors."""
        return {name: name for name in _names(self.settings + self.credentials)}

    def values(self, settings: dict[str, Any]) -> dict[str, str]:
        """The form as the stored settings fill it (schema defaults where nothing is stored)."""
        values: dict[str, str] = {}
        for item in self.settings:
            _fill(item, settings, values)
        return values

    def rows(self, item: SchemaField, values: dict[str, Any]) -> list[int]:
        """The row indices of a list to draw: those the form holds, and one empty row."""
        indices = _row_indices(item.name, values)
        return [*indices, (max(indices) + 1) if indices else 0]

    def read(self, values: dict[str, Any]) -> Submission:
        """The configuration a submitted form asks for (``values``: the form's fields)."""
        errors: dict[str, str] = {}
        moved: dict[str, str] = {}
        settings = _read_object(self.settings, values, errors, moved)
        credentials: dict[str, Any] = {}
        for item in self.credentials:
            if values.get(f"{item.name}.{CLEAR}") == "on" and not item.required:
                credentials[item.key] = None
                continue
            raw = str(values.get(item.name, ""))
            if raw.strip() == "":
                continue  # an empty secret keeps the stored one
            credentials[item.key] = _convert(item, raw, errors)
        return Submission(
            enabled=values.get("enabled") == "on",
            settings=settings,
            credentials=credentials or None,
            errors=errors,
            moved=moved,
        )


def fields_of(schema: dict[str, Any], prefix: str, *, secret: bool = False) -> list[SchemaField]:
    """The fields of an object schema, in the order the model declares them."""
    defs = schema.get("$defs") or {}
    return _object_fields(schema, prefix, defs, secret=secret)


def relocate(errors: list[dict[str, Any]], moved: dict[str, str]) -> list[dict[str, Any]]:
    """The API's errors with each row index put back to the form row it came from."""
    placed = []
    for item in errors:
        loc = [str(part) for part in item.get("loc", []) if part not in ("body", "query")]
        name = ".".join(loc)
        for sent, row in sorted(moved.items(), key=lambda pair: -len(pair[0])):
            if name == sent or name.startswith(sent + "."):
                name = row + name[len(sent) :]
                break
        placed.append({**item, "loc": ["body", name]})
    return placed


def without_secrets(form_values: dict[str, Any], plugin_form: PluginForm) -> dict[str, Any]:
    """The typed values to show again: a secret is never sent back to the browser."""
    secret = {item.name for item in plugin_form.credentials}
    return {
        name: value
        for name, value in form_values.items()
        if name not in secret and not any(name.startswith(s + ".") for s in secret)
    }


# -- reading the schema ------------------------------------------------------------------------


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = defs.get(ref.removeprefix("#/$defs/"), {})
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _resolve(merged, defs) if "$ref" in target else merged
    return node


def _unwrap(node: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema of an optional value without its ``null`` branch, and whether null is allowed."""
    node = _resolve(node, defs)
    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if not isinstance(branches, list):
            continue
        real = [_resolve(b, defs) for b in branches if b.get("type") != "null"]
        nullable = len(real) < len(branches)
        outer = {k: v for k, v in node.items() if k != key}
        if len(real) == 1:
            return {**real[0], **outer}, nullable
        types = {b.get("type") for b in real}
        if types == {"number", "string"}:  # pydantic's Decimal: exact, so sent as a string
            return {**outer, "type": "string", "x-decimal": True}, nullable
        return {**outer, "anyOf": real}, nullable
    return node, False


def _label(key: str, node: dict[str, Any]) -> str:
    title = node.get("title")
    if isinstance(title, str) and title:
        return title
    return key.replace("_", " ").capitalize()


def _object_fields(
    schema: dict[str, Any], prefix: str, defs: dict[str, Any], *, secret: bool = False
) -> list[SchemaField]:
    schema = _resolve(schema, defs)
    required = set(schema.get("required") or [])
    properties = schema.get("properties") or {}
    return [
        _field(f"{prefix}.{key}" if prefix else key, key, node, key in required, defs, secret)
        for key, node in properties.items()
    ]


def _field(
    name: str,
    key: str,
    raw: dict[str, Any],
    required: bool,
    defs: dict[str, Any],
    secret: bool,
) -> SchemaField:
    node, _ = _unwrap(raw, defs)
    common: dict[str, Any] = {
        "name": name,
        "key": key,
        "label": _label(key, node),
        "help": node.get("description") or None,
        "required": required,
        "default": node["default"] if "default" in node else _NO_DEFAULT,
    }
    kind, value_type, attrs, options = _kind(node)
    if kind == "rows":
        item = _resolve(node.get("items") or {}, defs)
        common["columns"] = tuple(_object_fields(item, "", defs))
    elif kind == "group":
        common["columns"] = tuple(_object_fields(node, name, defs))
    if secret or node.get("writeOnly") or node.get("format") == "password":
        kind = "secret"
        attrs = {k: v for k, v in attrs.items() if k in ("minlength", "maxlength")}
        options = ()
        common["default"] = _NO_DEFAULT
    return SchemaField(kind=kind, value_type=value_type, attrs=attrs, options=options, **common)


def _kind(node: dict[str, Any]) -> tuple[str, str, dict[str, Any], tuple[tuple[str, str], ...]]:
    kind_of = node.get("type")
    attrs: dict[str, Any] = {}
    choices = node.get("enum")
    if choices is None and "const" in node:
        choices = [node["const"]]
    if choices is None and isinstance(node.get("anyOf"), list):
        consts = [b.get("const") for b in node["anyOf"] if "const" in b]
        if consts and len(consts) == len(node["anyOf"]):
            choices = consts
    if isinstance(choices, list) and choices:
        value_type = "integer" if all(isinstance(c, int) for c in choices) else "string"
        return "select", value_type, attrs, tuple((str(c), str(c)) for c in choices)
    if kind_of == "boolean":
        return "boolean", "boolean", attrs, ()
    if kind_of in ("integer", "number"):
        for schema_key, html in (("minimum", "min"), ("maximum", "max")):
            if schema_key in node:
                attrs[html] = node[schema_key]
        attrs["step"] = node.get("multipleOf", 1 if kind_of == "integer" else "any")
        return str(kind_of), str(kind_of), attrs, ()
    if kind_of == "string":
        for schema_key, html in (("minLength", "minlength"), ("maxLength", "maxlength")):
            if schema_key in node:
                attrs[html] = node[schema_key]
        if "examples" in node and isinstance(node["examples"], list) and node["examples"]:
            attrs["placeholder"] = str(node["examples"][0])
        fmt = node.get("format")
        if fmt == "date":
            return "date", "string", attrs, ()
        if fmt == "date-time":
            return "datetime", "string", attrs, ()
        if fmt == "email":
            return "email", "string", attrs, ()
        if fmt in ("uri", "url"):
            return "url", "string", attrs, ()
        if node.get("x-decimal"):
            attrs["inputmode"] = "decimal"
            return "decimal", "string", attrs, ()
        return "text", "string", attrs, ()
    if kind_of == "array":
        items = node.get("items") or {}
        if items.get("type") == "object" or "$ref" in items:
            return "rows", "array", attrs, ()
        if items.get("type") in ("string", "integer", "number"):
            return "lines", str(items["type"]), attrs, ()
    if kind_of == "object" and node.get("properties"):
        return "group", "object", attrs, ()
    return "json", "json", attrs, ()


def _names(items: tuple[SchemaField, ...]) -> list[str]:
    names = []
    for item in items:
        names.append(item.name)
        if item.kind == "group":
            names += _names(item.columns)
    return names


# -- values to show ----------------------------------------------------------------------------


def _show(item: SchemaField, value: Any) -> str:
    if value is None:
        return ""
    if item.kind == "boolean":
        return "on" if value else ""
    if item.kind == "json":
        return json.dumps(value, ensure_ascii=False, indent=2)
    if item.kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if item.kind == "datetime" and isinstance(value, str):
        return value[:16]  # what <input type="datetime-local"> shows: YYYY-MM-DDTHH:MM
    return str(value)


def _fill(item: SchemaField, stored: dict[str, Any], values: dict[str, str]) -> None:
    if item.secret:
        return
    if item.kind == "group":
        inner = stored.get(item.key)
        for column in item.columns:
            _fill(column, inner if isinstance(inner, dict) else {}, values)
        return
    if item.key in stored:
        value = stored[item.key]
    elif item.has_default:
        value = item.default
    else:
        return
    if item.kind == "rows":
        for index, row in enumerate(value if isinstance(value, list) else []):
            for column in item.columns:
                if isinstance(row, dict) and column.key in row:
                    values[item.cell(index, column)] = _show(column, row[column.key])
        return
    values[item.name] = _show(item, value)


# -- values to send ----------------------------------------------------------------------------


def _row_indices(name: str, values: dict[str, Any]) -> list[int]:
    found = set()
    for key in values:
        if key.startswith(name + "."):
            match = _INDEX.match(key[len(name) + 1 :])
            if match:
                found.add(int(match.group(1)))
    return sorted(found)


def _read_object(
    items: tuple[SchemaField, ...],
    values: dict[str, Any],
    errors: dict[str, str],
    moved: dict[str, str],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if item.kind == "boolean":
            out[item.key] = values.get(item.name) == "on"
        elif item.kind == "rows":
            rows = _read_rows(item, values, errors, moved)
            if rows:
                out[item.key] = rows
        elif item.kind == "group":
            group = _read_object(item.columns, values, errors, moved)
            if group:
                out[item.key] = group
        else:
            raw = str(values.get(item.name, ""))
            if raw.strip() != "":
                out[item.key] = _convert(item, raw, errors)
    return out


def _read_rows(
    item: SchemaField, values: dict[str, Any], errors: dict[str, str], moved: dict[str, str]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for index in _row_indices(item.name, values):
        if values.get(f"{item.name}.{index}.{REMOVE}") == "on":
            continue
        row: dict[str, Any] = {}
        for column in item.columns:
            name = item.cell(index, column)
            raw = str(values.get(name, ""))
            if column.kind == "boolean":
                if raw == "on":
                    row[column.key] = True
            elif raw.strip() != "":
                row[column.key] = _convert(column, raw, errors, name)
        if not row:
            continue  # an untouched empty row
        if len(rows) != index:
            moved[f"{item.name}.{len(rows)}"] = f"{item.name}.{index}"
        rows.append(row)
    return rows


def _convert(item: SchemaField, raw: str, errors: dict[str, str], name: str = "") -> Any:
    """The JSON value of a field; text the API must judge is sent as typed, so its error
    (such as "enter a whole number") comes back next to the field."""
    text = raw.strip() if item.kind != "secret" else raw
    if item.kind == "json":
        try:
            return json.loads(text)
        except ValueError:
            errors[name or item.name] = INVALID_JSON
            return None
    if item.kind == "lines":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return [_number(line, item.value_type) for line in lines]
    if item.kind == "datetime":
        return text if len(text) > 16 else f"{text}:00"
    return _number(text, item.value_type)


def _number(text: str, value_type: str) -> Any:
    if value_type == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if value_type == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in text else number
    return text
