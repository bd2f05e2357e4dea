"""Which model a site uses: "use this model", "roll back", and the history of both, audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from frontdesk import audit
from frontdesk.db.models import Site, SiteModelChange


def current_model(site: Any, app_config: Any) -> str:
    """The model the site's visitors get now (its own setting, else the server's)."""
    return str((site.llm_settings or {}).get("model") or app_config.get("MODEL") or "")


def use_model(
    db: Any, site_id: int, model: str, *, actor: audit.Actor, reason: str = "use",
    finetune_job_id: int | None = None, server_default: str = "",
) -> SiteModelChange:  # fmt: skip
    """Switch the site to `model`; the change is kept in the history and the audit log."""
    model = model.strip()[:200]
    if not model:
        raise ValueError("no model given")
    with db.write_transaction() as session:
        site = session.get(Site, site_id)
        settings = dict(site.llm_settings or {})
        previous = str(settings.get("model") or server_default)
        settings["model"] = model
        site.llm_settings = settings  # an ORM change: running chats reload the site at once
        change = SiteModelChange(
            site_id=site_id, previous_model=previous, model=model, reason=reason,
            finetune_job_id=finetune_job_id, actor=f"{actor.type}:{actor.id}"[:100],
            staff_id=int(actor.id) if actor.type == "staff" and str(actor.id).isdigit() else None,
        )  # fmt: skip
        session.add(change)
        audit.record(
            session, site_id=site_id, actor=actor, action=f"site.model_{reason}",
            subject_type="site", subject_id=site.public_key,
            data={"from": previous, "to": model, "finetune_job": finetune_job_id},
        )  # fmt: skip
    return change


def roll_back(db: Any, site_id: int, *, actor: audit.Actor, server_default: str = ""):
    """Go back to the model used before the last switch; LookupError when there is none."""
    last = history(db, site_id, limit=1)
    if not last or not last[0].previous_model:
        raise LookupError("There is no earlier model to roll back to.")
    return use_model(db, site_id, last[0].previous_model, actor=actor, reason="rollback",
                     server_default=server_default)  # fmt: skip


def history(db: Any, site_id: int, limit: int = 50) -> list[SiteModelChange]:
    """The site's model switches, newest first."""
    with db.session() as session:
        query = select(SiteModelChange).where(SiteModelChange.site_id == site_id)
        query = query.order_by(SiteModelChange.id.desc()).limit(limit)
        return list(session.scalars(query))
