"""The OpenAPI document at ``/api/v1/_openapi`` and a Swagger UI page served by the app itself.

FAB only adds its document and Swagger page with ``FAB_API_SWAGGER_UI``, and its page uses an
old bundled Swagger UI that sends the document to an outside validator. Here the document is
FAB's, completed (the rate-limited log-in's 429), and the page loads Swagger UI from the
``swagger-ui-dist`` npm package installed beside the app (package.json), with the validator off.
"""

from __future__ import annotations

from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import abort, current_app, request, send_from_directory
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.api.manager import OpenApi as FabOpenApi
from flask_appbuilder.api.manager import resolver
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _

from app.api.errors import API_RESPONSES, ERROR_SCHEMA
from app.api.locale import select_api_locale

# The files of swagger-ui-dist the page needs; nothing else under node_modules is served.
SWAGGER_ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}


def node_modules_dir() -> Path:
    configured = current_app.config.get("NODE_MODULES_DIR")
    if configured:
        return Path(configured)
    return Path(current_app.root_path).parent / "node_modules"


def _schema_name(schema) -> str | None:
    """Component names for top-level schemas; nested column subsets are written inline."""
    schema_cls = resolve_schema_cls(schema)
    if schema_cls.__name__ == "MetaSchema":
        return None
    return resolver(schema)


def _amend(spec: dict) -> dict:
    """What FAB's generated document leaves out."""
    # The shared error answers are the API's (the one ApiError shape every error answers,
    # app/api/__init__.py), not FAB's defaults its own views registered first.
    components = spec.setdefault("components", {})
    components["responses"] = {**components.get("responses", {}), **API_RESPONSES}
    components.setdefault("schemas", {}).setdefault("ApiError", ERROR_SCHEMA)
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("security"):
                responses = operation.setdefault("responses", {})
                responses.setdefault("401", {"$ref": "#/components/responses/401"})
                responses.setdefault("403", {"$ref": "#/components/responses/403"})
    login = spec.get("paths", {}).get("/api/v1/security/login", {}).get("post")
    if login is not None:
        body = login.get("requestBody", {}).get("content", {}).get("application/json", {})
        body.get("schema", {})["required"] = ["username", "password", "provider"]
        login.setdefault("responses", {})["429"] = {
            "description": "Too many log-in attempts from this address; try again later",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
        }
    menu = spec.get("paths", {}).get("/api/v1/menu/", {}).get("get")
    if menu is not None:
        # FAB's menu answers separators as the string "-" among its child items.
        try:
            answer = menu["responses"]["200"]["content"]["application/json"]["schema"]
            item = answer["properties"]["result"]["items"]["properties"]["childs"]
            item["items"] = {"oneOf": [{"type": "object"}, {"type": "string"}]}
        except KeyError:
            pass
    info = spec.setdefault("info", {})
    info["description"] = (
        "Assisted and proxy handling back-office API. Log in with POST /api/v1/security/login "
        '({"username", "password", "provider": "db", "refresh": true}) and send '
        "`Authorization: Bearer <access_token>`. Every answer is limited to the caller's units; "
        "messages follow `?_l_=zh|zh_Hant|en` or Accept-Language."
    )
    return spec


class OpenApi(FabOpenApi):
    """FAB's OpenAPI document view (permission ``can_get on OpenApi``), amended."""

    allow_browser_login = True  # the Swagger page reads it with the log-in cookie; GET only

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.before_request(select_api_locale)
        return blueprint

    @staticmethod
    def _create_api_spec(version):
        servers = current_app.config.get("FAB_OPENAPI_SERVERS", [{"url": request.host_url}])
        return APISpec(
            title=str(current_app.appbuilder.app_name),
            version=version,
            openapi_version="3.0.2",
            info={"description": str(current_app.appbuilder.app_name)},
            plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
            servers=servers,
        )

    @expose("/<version>/_openapi")
    @protect()
    @safe
    def get(self, version):
        """The OpenAPI document of one API version
        ---
        get:
          parameters:
          - in: path
            schema:
              type: string
            name: version
          responses:
            200:
              description: The OpenAPI document
              content:
                application/json:
                  schema:
                    type: object
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        api_spec = self._create_api_spec(version)
        found = False
        for base_api in current_app.appbuilder.baseviews:
            if getattr(base_api, "version", None) == version and hasattr(base_api, "add_api_spec"):
                base_api.add_api_spec(api_spec)
                found = True
        if not found:
            return self.response(404, message=_("Not found."))
        return self.response(200, **_amend(api_spec.to_dict()))


class ApiDocsView(BaseView):
    """Swagger UI for the API, from the app's own files."""

    route_base = "/swagger"
    default_view = "show"

    @expose("/v1")
    @has_access
    def show(self):
        version = "v1"
        installed = (node_modules_dir() / "swagger-ui-dist" / "swagger-ui-bundle.js").exists()
        return self.render_template(
            "api/swagger.html",
            openapi_uri=request.script_root + f"/api/{version}/_openapi",
            installed=installed,
            title=_("API documentation"),
        )

    @expose("/assets/<name>")
    def asset(self, name):
        """A file of the swagger-ui-dist package (public library code, no data)."""
        if name not in SWAGGER_ASSETS:
            abort(404)
        return send_from_directory(node_modules_dir() / "swagger-ui-dist", name, max_age=86400)
