"""FAB's navbar menu rendered once per set of roles, language and security stamp (issue 22).

The menu (a few dozen entries, each checked against the caller's permissions, each label
translated) cost more than the rest of a case page. What it shows depends only on the roles'
permissions (tagged by the security stamp, app/permission_cache.py), the language and the
application's root URL: the HTML is kept per process under those, and made again as soon as
the stamp changes. Without a stamp (no request, the row missing) it is rendered each time.
"""

from __future__ import annotations

from flask import current_app, has_request_context, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from app.extensions import db
from app.permission_cache import current_stamp, database_key

TEMPLATE = "fab/appbuilder/navbar_menu.html"  # FAB's own (app/reminders/views.py's loader)
MAX_ENTRIES = 512  # role sets × languages; cleared whole beyond it


class MenuCache:
    def __init__(self) -> None:
        # Per database (app/permission_cache.py database_key): (stamp, {key: HTML}), replaced
        # whole: HTML always sits beside the stamp it was made under.
        self._states: dict[str, tuple[str | None, dict]] = {}

    def menu(self) -> Markup:
        appbuilder = current_app.appbuilder
        stamp = current_stamp(db.session) if has_request_context() else None
        if stamp is None:
            return Markup(render_template(TEMPLATE, menu=appbuilder.menu))
        if current_user.is_authenticated:
            roles = frozenset(role.id for role in appbuilder.sm.get_user_roles(current_user))
        else:
            roles = None  # the Public role's menu
        key = (roles, str(get_locale()), request.script_root)
        database = database_key(db.session)
        state = self._states.get(database, (None, {}))
        if state[0] != stamp or len(state[1]) > MAX_ENTRIES:
            state = (stamp, {})
            self._states = {**self._states, database: state}
        html = state[1].get(key)
        if html is None:
            html = Markup(render_template(TEMPLATE, menu=appbuilder.menu))
            state[1][key] = html
        return html


MENU = MenuCache()


def install(app) -> None:
    app.jinja_env.globals["cached_navbar_menu"] = MENU.menu
