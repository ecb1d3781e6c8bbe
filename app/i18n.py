"""Language: the choice made with FAB's /lang/<code> sticks to the user, not only the session.

The preference is kept in the settings table under ``user.<id>.locale`` and put back into the
session at the first request after each log-in.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, g, has_app_context, request, session
from flask_babel import format_date, get_locale, get_translations, refresh
from flask_babel import lazy_gettext as _l

from app.domain import clock
from app.extensions import db
from app.models import Setting
from config import DEFAULT_APP_NAME


def _key(user_id: int) -> str:
    return f"user.{user_id}.locale"


def _user():
    user = getattr(g, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _locale():
    """The locale Flask-Babel settled for this context (forced or not), without its lookup of
    the context at every call; None before it settled one."""
    state = g.get("_flask_babel") if has_app_context() else None  # Flask-Babel 4's namespace
    return getattr(state, "babel_locale", None)


# Flask-Babel finds the catalog again for every string (its context, the locale's name, its
# cache: as long as twenty lookups of the string itself); a case page's template translates some
# seventy. The catalog of a language never changes while the process runs (Flask-Babel keeps
# them for good too), so it is kept here by locale.
_CATALOGS: dict = {}


def _catalog():
    locale = _locale()
    catalog = _CATALOGS.get(locale) if locale is not None else None
    if catalog is None:
        catalog = get_translations()
        locale = _locale() or get_locale()
        if locale is not None:
            _CATALOGS[locale] = catalog
    return catalog


def install_catalog_lookup(app: Flask) -> None:
    """Templates' ``_()`` and ``ngettext`` through ``_catalog`` (after Flask-Babel's set-up,
    which installs its own)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalog().ugettext(s),
        ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n),
    )


# Dates as the pages show them, by locale and day (a timeline repeats a few days many times);
# emptied whole beyond the bound.
_DATES: dict = {}
MAX_DATES = 4096


def local_date(value) -> str:
    """A date (or a stored timestamp's Asia/Shanghai date) in the user's language."""

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = clock.local_date(value)
    locale = _locale()
    if locale is None:
        return format_date(value, "long")
    key = (locale, value)
    text = _DATES.get(key)
    if text is None:
        if len(_DATES) >= MAX_DATES:
            _DATES.clear()
        text = _DATES[key] = format_date(value, "long")
    return text


def local_datetime(value) -> str:
    """A stored timestamp as date and time in Asia/Shanghai, in the user's language."""
    if value is None:
        return ""
    return f"{local_date(value)} {value.astimezone(clock.TZ):%H:%M}"


# The product's name as the navbar and titles show it, in the reader's language. A center that
# sets its own APP_NAME keeps that name as it is.
PRODUCT_NAME = _l("Assisted and Proxy Handling Service Management System")


def init_i18n(app: Flask) -> None:
    if app.config.get("APP_NAME") in (None, "", DEFAULT_APP_NAME):
        app.config["APP_NAME"] = PRODUCT_NAME

    app.jinja_env.filters["ldate"] = local_date
    app.jinja_env.filters["ldatetime"] = local_datetime

    @app.before_request
    def restore_language() -> None:
        # The locale is decided per request (?_l_=, the session, the user's choice); drop any
        # value cached on an application context that outlives one request (tests, shells).
        refresh()
        user = _user()
        if user is None or session.get("locale_user") == user.id:
            return
        session["locale_user"] = user.id
        row = db.session.get(Setting, _key(user.id))
        if row is not None and row.value in app.config["LANGUAGES"]:
            session["locale"] = row.value
            refresh()

    @app.after_request
    def remember_language(response):
        user = _user()
        if user is not None and request.endpoint == "LocaleView.index":
            locale = session.get("locale")
            if locale in app.config["LANGUAGES"]:
                row = db.session.get(Setting, _key(user.id))
                if row is None:
                    db.session.add(Setting(key=_key(user.id), value=locale))
                else:
                    row.value = locale
                db.session.commit()
        return response
