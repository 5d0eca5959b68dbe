"""Whole numbers in paths and queries bounded to what the database holds (a signed 64-bit
integer), for every route at once: a larger one is refused with 422 before any dependency
reads the database, instead of overflowing a driver (and logging a traceback) later."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

DB_INT_MIN = -(2**63)
DB_INT_MAX = 2**63 - 1


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_int(arg) for arg in get_args(annotation) if arg is not type(None))
    return False


def _walk(dependant: Dependant) -> list[Dependant]:
    found = [dependant]
    for sub in dependant.dependencies:
        found.extend(_walk(sub))
    return found


Names = tuple[frozenset[str], frozenset[str]]
# By endpoint and path (routes themselves are not hashable): module-level functions, so the
# cache is as small as the API, however many applications a process builds.
_NAMES: dict[tuple[Any, str], Names] = {}


def _int_parameters(route: APIRoute) -> Names:
    """The names of the route's whole-number path and query parameters (its dependencies'
    too)."""
    key = (route.endpoint, route.path_format)
    names = _NAMES.get(key)
    if names is None:
        every = _walk(route.dependant)
        path = {f.alias for d in every for f in d.path_params if _is_int(f.field_info.annotation)}
        query = {f.alias for d in every for f in d.query_params if _is_int(f.field_info.annotation)}
        names = _NAMES[key] = (frozenset(path), frozenset(query))
    return names


def _out_of_range(text: str) -> bool:
    stripped = text.strip().replace("_", "")
    body = stripped[1:] if stripped[:1] in "+-" else stripped
    if not body.isascii() or not body.isdigit():
        return False  # not a number at all: the route's own validation answers
    return not DB_INT_MIN <= int(stripped) <= DB_INT_MAX


def _error(location: str, name: str) -> dict[str, Any]:
    return {
        "loc": (location, name),
        "msg": f"Input should be between {DB_INT_MIN} and {DB_INT_MAX}",
        "type": "int_out_of_range",
    }


async def bounded_integers(request: Request) -> None:
    """An application-wide dependency: raises ``RequestValidationError`` (422
    ``invalid_request``) when a whole-number parameter lies outside a 64-bit integer."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    path, query = _int_parameters(route)
    errors = [
        _error("path", name)
        for name in path
        if _out_of_range(str(request.path_params.get(name, "")))
    ]
    errors += [
        _error("query", name)
        for name in query
        if any(_out_of_range(value) for value in request.query_params.getlist(name))
    ]
    if errors:
        raise RequestValidationError(errors)
