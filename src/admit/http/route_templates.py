"""Which route answered a request, as its full path template
(``/api/v1/sessions/{session_id}``): the label of the metrics and the route of the access
log. Never the path a client sent, so labels stay bounded and ids stay out of the logs."""

from __future__ import annotations

from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.types import Scope

UNMATCHED = "unmatched"


class RouteTemplates:
    """The full path template of the route that answered. FastAPI keeps an included router's
    routes under their own path (``/sessions``) and puts that route in the scope; the template
    with its prefixes comes from the application's route tree, read once per application."""

    def __init__(self) -> None:
        self._templates: dict[int, str] = {}
        self._read: set[int] = set()

    def _template(self, app: Any, route: Any) -> str | None:
        found = self._templates.get(id(route))
        if found is None and id(app) not in self._read:
            self._read.add(id(app))
            for context in iter_route_contexts(getattr(app, "routes", [])):
                if context.path_format:
                    self._templates.setdefault(id(context.original_route), context.path_format)
            found = self._templates.get(id(route))
        if found is None:
            found = getattr(route, "path_format", None)
            if found is not None:
                self._templates[id(route)] = found
        return found

    def of(self, scope: Scope, root_path: str) -> str:
        """``scope``'s route template, with the prefix of any mount it lives under."""
        mounted = str(scope.get("root_path", ""))[len(root_path) :]
        route = scope.get("route")
        template = None if route is None else self._template(scope.get("app"), route)
        if template:
            return f"{mounted}{template}"
        if mounted:  # a mounted app without routes of its own (static files)
            return f"{mounted}/{{path}}"
        return UNMATCHED
