"""The OpenAPI document and the docs' access table, both made from the route table the
code enforces."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any, get_args, get_origin

from pydantic import TypeAdapter

from shared.http.table import SCOPES, Endpoint

log = logging.getLogger(__name__)


def openapi_document(service: str, endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    error_schema = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "required": ["code", "message", "fields"],
            }
        },
    }
    schemas: dict[str, Any] = {"Error": error_schema}
    paths: dict[str, Any] = {}
    for ep in endpoints:
        operation: dict[str, Any] = {
            "summary": ep.summary,
            "operationId": re.sub(
                r"\W+", "_", f"{ep.method.lower()}_{openapi_path(ep.path)}"
            ).strip("_"),
            "responses": {
                str(ep.status): {"description": "success"},
                "default": {
                    "description": "error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
        if ep.roles is not None:
            operation["security"] = [{"bearer": []}]
            operation["description"] = (
                "Roles: " + ", ".join(ep.roles) + f". Reaches: {SCOPES[ep.scope]}."
            )
        if ep.body is not None:
            _add_schema(schemas, ep.body)
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": f"#/components/schemas/{schema_name(ep.body)}"}
                    }
                },
            }
        if ep.answer is not None:
            _add_schema(schemas, ep.answer)
            operation["responses"][str(ep.status)]["content"] = {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{schema_name(ep.answer)}"}
                }
            }
        elif ep.media is not None:  # not JSON: a calendar file, a plain text
            operation["responses"][str(ep.status)]["content"] = {
                ep.media: {"schema": {"type": "string"}}
            }
        path = openapi_path(ep.path)
        parameters = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in re.findall(r"{(\w+)}", path)
        ]
        if ep.query is not None:
            fields = ep.query.model_json_schema()
            required = set(fields.get("required", ()))
            parameters += [
                {"name": name, "in": "query", "required": name in required, "schema": schema}
                for name, schema in fields["properties"].items()
            ]
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(path, {})[ep.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Vertrouwd {service}", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def openapi_path(path: str) -> str:
    """aiohttp's route path as OpenAPI writes it: ``{id:[0-9a-f]{24}}`` becomes ``{id}``."""
    out, depth, skipping = [], 0, False
    for char in path:
        if char == "{":
            depth += 1
            if depth > 1:
                continue
        elif char == "}":
            depth -= 1
            if depth > 0:
                continue
            skipping = False
        elif char == ":" and depth == 1:
            skipping = True
            continue
        if not skipping:
            out.append(char)
    return "".join(out)


def access_table(service: str, endpoints: Iterable[Endpoint]) -> str:
    """Who may call what, in Markdown: made from the same route table that the code enforces,
    so the docs cannot say otherwise."""
    lines = [
        f"### {service}",
        "",
        "| method | path | what | roles | reaches |",
        "|---|---|---|---|---|",
    ]
    for ep in endpoints:
        roles, reaches = ("no token", "-") if ep.roles is None else (", ".join(ep.roles), "")
        reaches = reaches or SCOPES[ep.scope]
        what = ep.summary.replace("|", "\\|")  # a bar would end the cell
        lines.append(f"| {ep.method} | `{openapi_path(ep.path)}` | {what} | {roles} | {reaches} |")
    return "\n".join(lines) + "\n"


def schema_name(kind: Any) -> str:
    """A model's or TypedDict's name as a component (``Listed[Appointment]``:
    ``Listed_Appointment``: OpenAPI allows letters, digits and ``._-`` only)."""
    name = getattr(kind, "__name__", None) or str(kind)
    args = [schema_name(a) for a in get_args(kind)]
    name = getattr(get_origin(kind), "__name__", name)
    return "_".join([re.sub(r"[^A-Za-z0-9._-]", "_", name), *args])


def _add_schema(schemas: dict[str, Any], kind: Any) -> None:
    """A body's or answer's schema (a pydantic model or a TypedDict) as a component, the
    types it holds as components of their own."""
    schema = TypeAdapter(kind).json_schema(ref_template="#/components/schemas/{model}")
    found = {
        re.sub(r"[^A-Za-z0-9._-]", "_", n): _tidy_refs(s)
        for n, s in schema.pop("$defs", {}).items()
    }
    found[schema_name(kind)] = _tidy_refs(schema)
    for name, shape in found.items():
        # Two types of one name (a body and an answer, say) must not overwrite each other.
        if schemas.setdefault(name, shape) != shape:
            raise ValueError(f"two schemas are named {name}: rename one")


def _tidy_refs(schema: Any) -> Any:
    # $defs of generic types are named like "Listed[Appointment]": the same tidying as above
    if isinstance(schema, dict):
        return {
            k: (re.sub(r"[^A-Za-z0-9._/#-]", "_", v) if k == "$ref" else _tidy_refs(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_tidy_refs(v) for v in schema]
    return schema
