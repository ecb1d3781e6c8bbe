"""The REST API for the provincial platform and other systems (``/api/v1/``), with OpenAPI.

Log-in is FAB's JWT log-in, ``POST /api/v1/security/login``, rate-limited here; every other
route takes ``Authorization: Bearer <token>``. API blueprints are exempt from CSRF (FAB exempts
every ``BaseApi`` blueprint when CSRFProtect is set up before it, as app/__init__.py does) and
do not accept the log-in cookie, so a page cannot make a browser call them. Every error answers
JSON of one shape (app/api/errors.py) in the request's language (app/api/locale.py).
"""

from __future__ import annotations

import json

from flask import Flask, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app import hardening
from app.api.errors import error_response, flatten_errors
from app.api.locale import install_selector, select_api_locale
from app.extensions import db

DEFAULT_LOGIN_RATE_LIMIT = "10 per minute;100 per hour"
API_PREFIX = "/api/"


def install(appbuilder) -> None:
    """The API's language, log-in limits and error shape (resources: app/views.py)."""
    app = current_app._get_current_object()
    install_selector(app)
    _limit_login(appbuilder)
    _guard_login(app)
    _json_errors(app, appbuilder)


def _limit_login(appbuilder) -> None:
    """Rate-limit the JWT log-in (FAB limits only the HTML log-in form) per client address."""
    security_api = next(
        (v for v in appbuilder.baseviews if type(v).__name__ == "SecurityApi"), None
    )
    if security_api is None or security_api.blueprint is None:
        return

    def limit() -> str:
        return current_app.config.get("API_LOGIN_RATE_LIMIT", DEFAULT_LOGIN_RATE_LIMIT)

    appbuilder.sm.limiter.limit(limit, methods=["POST"])(security_api.blueprint)


def _guard_login(app: Flask) -> None:
    """FAB's log-in answers 500 when ``provider`` is left out: ask for it instead."""

    @app.before_request
    def login_needs_provider():
        if request.endpoint != "SecurityApi.login" or request.method != "POST":
            return None
        data = request.get_json(silent=True)
        if isinstance(data, dict) and "provider" not in data:
            return error_response(
                400,
                _("Some fields are not valid."),
                {"provider": [_("This field is required.")]},
            )
        if isinstance(data, dict) and isinstance(data.get("username"), str):
            select_api_locale()  # the answer in the request's language
            refused = hardening.refusal(db.session, data["username"])
            if refused:
                return error_response(403, refused)
        return None


def _json_errors(app: Flask, appbuilder) -> None:
    """Errors under /api/ answer ``{"message", "errors"}`` JSON, whoever raised them."""

    @app.errorhandler(HTTPException)
    def api_http_error(error: HTTPException):
        if not request.path.startswith(API_PREFIX):
            return error
        message = _("Not found.") if error.code == 404 else (error.description or error.name)
        response = error_response(error.code or 500, message)
        if error.code == 429:
            response.headers["Retry-After"] = "60"
        return response

    @app.after_request
    def api_error_shape(response):
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or not response.is_json
        ):
            return response
        body = response.get_json(silent=True)
        if not isinstance(body, dict):
            return response
        message = body.get("message", body.get("msg"))
        if isinstance(message, str) and set(body) <= {"message", "errors"}:
            return response
        shaped: dict = {}
        if isinstance(message, (dict, list)):
            shaped["errors"] = flatten_errors(message)
            message = _("Some fields are not valid.")
        shaped["message"] = str(message) if message else response.status
        response.set_data(json.dumps(shaped, ensure_ascii=False))
        return response

    jwt = appbuilder.sm.jwt_manager

    @jwt.invalid_token_loader
    def invalid_token(_reason):
        return error_response(401, _("The access token is not valid."))

    @jwt.unauthorized_loader
    def no_token(_reason):
        return error_response(401, _("Log in first: send a bearer access token."))

    @jwt.expired_token_loader
    def expired_token(_header, _payload):
        return error_response(401, _("The access token has expired; log in again."))

    @jwt.user_lookup_error_loader
    def unknown_user(_header, _payload):
        return error_response(401, _("The account of this token is not active."))
