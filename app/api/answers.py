"""A route of the REST API declared in one line, and its documented answers written once.

``@route("POST", "/<int:pk>/cancel", permission="step", errors=(400, 404, 409, 422))`` stands
for FAB's ``@expose``, ``@protect()``, ``@safe`` and ``@permission_name``, in that order, and
names the error answers the route may give besides the ones every protected route may give
(``ALWAYS``: not logged in, a role without the permission, an unexpected error, the database or
the file store not answering).

A route's docstring documents only what is particular to it (its description, query
parameters, body and success answer). ``DocumentedAnswers`` (a base of every resource) adds to
the OpenAPI operation FAB builds from it:

- each error answer, as a reference to the shared ``#/components/responses/<code>``
  (app/api/errors.py ``API_RESPONSES``), all of which answer the one error shape ``ApiError``;
- each path parameter of the URL the docstring does not describe (``<int:pk>`` an integer).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect

# What every protected route may answer, whatever else it declares.
ALWAYS = ("401", "403", "500", "503")

ATTRIBUTE = "_documented_errors"
URL_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def reference(code) -> dict:
    return {"$ref": f"#/components/responses/{code}"}


def answers(*codes: int) -> Callable:
    """Declare the error answers a route may give (besides ``ALWAYS``), for the OpenAPI document."""
    declared = tuple(str(code) for code in codes)

    def mark(func):
        setattr(func, ATTRIBUTE, declared)
        return func

    return mark


def route(method: str, url: str, *, permission: str, errors=()) -> Callable:
    """A protected API route (FAB's expose, protect, safe and permission_name) and its errors."""

    def build(func):
        func = permission_name(permission)(func)
        func = safe(func)
        func = protect()(func)
        func = expose(url, methods=[method])(func)
        return answers(*errors)(func)

    return build


def with_error_answers(responses: dict, declared) -> dict:
    """``responses`` with a reference for each declared error answer and ``ALWAYS``, by code."""
    merged = {str(code): spec for code, spec in responses.items()}
    for code in (*declared, *ALWAYS):
        merged.setdefault(code, reference(code))
    return dict(sorted(merged.items()))


def path_parameters(func, documented: list) -> list:
    """``documented`` and, after it, each URL parameter of ``func``'s routes it leaves out."""
    named = {p.get("name") for p in documented if isinstance(p, dict) and p.get("in") == "path"}
    added = []
    for url, _methods in getattr(func, "_urls", ()):
        for converter, name in URL_PARAMETER.findall(url):
            if name in named:
                continue
            named.add(name)
            kind = "integer" if converter == "int" else "string"
            added.append({"in": "path", "name": name, "required": True, "schema": {"type": kind}})
    return [*documented, *added]


class DocumentedAnswers:
    """Completes each operation FAB builds from a route's docstring: the declared error answers
    (``ALWAYS`` alone for a route that declares none) and the undocumented path parameters."""

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        super().operation_helper(
            path=path, operations=operations, methods=methods, func=func, **kwargs
        )
        declared = getattr(func, ATTRIBUTE, ())
        for method in methods or ():
            operation = operations.get(method.lower())
            if not isinstance(operation, dict):
                continue
            operation["responses"] = with_error_answers(operation.get("responses") or {}, declared)
            parameters = path_parameters(func, operation.get("parameters") or [])
            if parameters:
                operation["parameters"] = parameters
