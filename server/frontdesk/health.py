"""GET /healthz: is the service up and its database reachable?"""

from flask import Blueprint, jsonify

from frontdesk.extensions import get_db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with {"status": "ok"} when the database answers, 503 otherwise."""
    ok = get_db().ping()
    body = {"status": "ok" if ok else "error", "database": "ok" if ok else "unreachable"}
    return jsonify(body), 200 if ok else 503
