"""Flask extensions, created unbound here and bound to an app in the factory."""

from typing import Any

from flask import g
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from sqlalchemy import Connection, Engine, MetaData
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names, so Alembic can drop and alter them on every
# database (SQLite needs names for batch migrations).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Where app/read_connection.py keeps a query operation's connection (in `g`).
READ_CONNECTION = "read_connection"


class ReadsSession(Session):
    """The app's session: on the query operation's read connection when
    there is one (app/read_connection.py), so a request holds one."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine | Connection:
        connection: Connection | None = g.get(READ_CONNECTION)
        if connection is not None:
            return connection
        return super().get_bind(*args, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": ReadsSession})
migrate = Migrate(render_as_batch=True, compare_type=True)
jwt = JWTManager()
cors = CORS()
limiter = Limiter(key_func=get_remote_address)
