"""GET /healthz: is the service up and its database reachable?"""

from flask import Blueprint, current_app, jsonify

from frontdesk.extensions import get_db
from frontdesk.realtime.shared import shared_for

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with {"status": "ok"} when the database answers, 503 otherwise.

    With REDIS_URL, "redis" says whether Redis answers. An unreachable Redis degrades the
    process (it serves its own sockets) without failing the check: a balancer taking every
    process out of rotation at once would turn a Redis outage into a full one.
    """
    ok = get_db().ping()
    body = {"status": "ok" if ok else "error", "database": "ok" if ok else "unreachable"}
    shared = shared_for(current_app)
    if shared is not None:
        body.update(shared.health())
        if ok and body["redis"] != "ok":
            body["status"] = "degraded"
    return jsonify(body), 200 if ok else 503
