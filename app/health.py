"""Liveness and readiness probes for load balancers and orchestrators."""

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """200 while the process can answer at all."""
    return {"status": "ok"}, 200


@health.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """200 only when the database answers; 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.warning("readiness check: database not answering")
        db.session.rollback()
        return {"status": "unavailable", "database": "down"}, 503
    finally:
        db.session.remove()
    return {"status": "ok", "database": "up"}, 200
