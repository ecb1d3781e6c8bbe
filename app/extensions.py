"""Extension singletons, bound to an app in create_app (nothing is built at import time).

AppBuilder is not among them: it keeps per-app state (views, menu), so create_app makes one
per app and FAB exposes it as ``current_app.appbuilder``.
"""

from flask_appbuilder.models.sqla import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# Share FAB's metadata so Alembic sees FAB's tables and ours together.
db = SQLA(model_class=Model)
migrate = Migrate()
csrf = CSRFProtect()
