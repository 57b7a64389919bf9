"""Unbound extension objects; `create_app` binds them."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from equipbank.db import db

__all__ = ["csrf", "db", "login_manager", "migrate"]

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
