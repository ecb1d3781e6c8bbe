"""Extension singletons, bound to an app in create_app (nothing is built at import time)."""

from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# Share FAB's metadata so Alembic sees FAB's tables and ours together.
db = SQLA(model_class=Model)
appbuilder = AppBuilder(update_perms=False)
migrate = Migrate()
csrf = CSRFProtect()
