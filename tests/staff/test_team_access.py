"""The Dashboard access page: inviting (who may invite whom, the outbox row and audit event in
the invitation's transaction, the link shown when e-mail is off, the hourly limit), resend and
revoke, removing an account (sessions end, the person who takes bookings stays), and one site's
admin reaching nothing of another's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from frontdesk.db.models import (
    AuditEvent,
    Host,
    OutboxEmail,
    SiteMembership,
    StaffInvitation,
    StaffSession,
    StaffUser,
)
from frontdesk.db.types import utcnow
from tests.support.apps import QUEUE_ONLY_SMTP
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.hosts import add_hosts
from tests.support.staff_accounts import make_staff, sign_in


@pytest.fixture
def studio(db):
    """A site with an owner, an admin and a member (the member takes bookings as Mia)."""
    site = make_site(db, name="Studio")
    owner = make_staff(db, site.id, "owner@studio.test")
    admin = make_staff(db, site.id, "admin@studio.test", role="admin")
    member = make_staff(db, site.id, "member@studio.test")
    hosts = add_hosts(db, site, ["Mia"])
    with db.transaction() as session:
        session.get(Host, hosts["Mia"]).staff_id = member.id
    return {"site": site, "owner": owner, "admin": admin, "member": member, "mia": hosts["Mia"]}


def as_(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client, csrf_from(client.get("/staff/password").get_data(as_text=True))


def base(studio) -> str:
    return f"/staff/{studio['site'].public_key}/access"


def invite(client, token, studio, email, role="member"):
    return client.post(
        f"{base(studio)}/invitations", data={"csrf_token": token, "email": email, "role": role}
    )


def rows(db, model, *where):
    with db.session() as session:
        order = model.__table__.primary_key.columns
        return list(session.scalars(select(model).where(*where).order_by(*order)))


def actions(db) -> list[str]:
    return [e.action for e in rows(db, AuditEvent, AuditEvent.action.like("staff.%"))]


@pytest.mark.app_config(SMTP_URL=QUEUE_ONLY_SMTP)
def test_an_admin_invites_a_member_with_its_e_mail_and_audit_in_one_go(app, db, studio):
    client, token = as_(app, "admin@studio.test")
    response = invite(client, token, studio, "New@Studio.test", "admin")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitation sent to new@studio.test." in page
    assert 'data-invitation="new@studio.test"' in page and "Resend" in page
    [row] = rows(db, StaffInvitation)
    assert (row.email, row.role, row.invited_by) == ("new@studio.test", "admin", studio["admin"].id)
    [mail] = rows(db, OutboxEmail)
    assert mail.recipient == "new@studio.test" and mail.site_id == studio["site"].id
    assert "invited you to Studio" in mail.subject
    [event] = rows(db, AuditEvent, AuditEvent.action == "staff.invited")
    assert (event.subject_id, event.actor_id) == ("new@studio.test", str(studio["admin"].id))
    assert event.data["role"] == "admin" and event.data["mailed"] is True
    # The E-mail page (members read it) never shows the invitation's link.
    member, _ = as_(app, "member@studio.test")
    shown = member.get(f"/staff/{studio['site'].public_key}/email/{mail.id}").get_data(as_text=True)
    assert "private link" in shown and "/staff/invite/" not in shown


def test_a_member_is_refused_every_team_action(app, db, studio):
    client, token = as_(app, "member@studio.test")
    team = client.get(f"{base(studio)}/")  # the team, read-only: no invitations, no forms
    assert team.status_code == 200 and "data-readonly" in team.get_data(as_text=True)
    assert "Pending invitations" not in team.get_data(as_text=True)
    assert invite(client, token, studio, "x@studio.test").status_code == 403
    with db.session() as session:
        admin_membership = session.scalar(
            select(SiteMembership.id).where(SiteMembership.staff_id == studio["admin"].id)
        )
    assert client.post(f"{base(studio)}/{admin_membership}/remove",
                       data={"csrf_token": token}).status_code == 403  # fmt: skip
    assert rows(db, StaffInvitation) == [] and actions(db) == []


def test_an_admin_may_not_invite_an_owner_and_is_not_offered_it(app, db, studio):
    client, token = as_(app, "admin@studio.test")
    page = client.get(f"{base(studio)}/").get_data(as_text=True)
    assert '<option value="owner"' not in page.split('id="invite-role"')[1].split("</select>")[0]
    response = invite(client, token, studio, "boss@studio.test", "owner")
    assert response.status_code == 400 and "Only an owner can invite owners." in response.text
    assert 'value="boss@studio.test"' in response.text  # what they typed stays
    assert rows(db, StaffInvitation) == []
    owner, token = as_(app, "owner@studio.test")
    assert invite(owner, token, studio, "boss@studio.test", "owner").status_code == 200  # no SMTP
    assert [r.role for r in rows(db, StaffInvitation)] == ["owner"]


def test_an_existing_accounts_address_is_refused_clearly(app, db, studio):
    client, token = as_(app, "owner@studio.test")
    response = invite(client, token, studio, "MEMBER@studio.test")
    assert response.status_code == 400
    assert "member@studio.test already has access to this site" in response.text
    assert rows(db, StaffInvitation) == []


def test_without_e_mail_the_link_is_shown_once_and_it_works(app, db, studio):
    client, token = as_(app, "owner@studio.test")
    response = invite(client, token, studio, "new@studio.test")
    assert response.status_code == 200 and 'id="handover"' in response.text
    link = re.search(r'id="handover-link" value="([^"]+)"', response.text).group(1)
    assert link.startswith("http://frontdesk.test/staff/invite/")
    assert rows(db, OutboxEmail) == []
    again = client.get(f"{base(studio)}/").get_data(as_text=True)
    assert link not in again  # shown on that response only
    assert app.test_client().get(link.removeprefix("http://frontdesk.test")).status_code == 200


@pytest.mark.app_config(SMTP_URL=QUEUE_ONLY_SMTP)
def test_resend_makes_a_new_link_and_revoke_kills_it(app, db, studio):
    client, token = as_(app, "admin@studio.test")
    invite(client, token, studio, "new@studio.test")
    [first] = rows(db, StaffInvitation)
    resent = client.post(
        f"{base(studio)}/invitations/{first.id}/resend", data={"csrf_token": token}
    )
    shown = client.get(resent.headers["Location"]).get_data(as_text=True)
    assert "Invitation sent to new@studio.test. The earlier link no longer works." in shown
    old, new = rows(db, StaffInvitation)
    assert (
        old.revoked_at is not None and new.revoked_at is None and new.token_hash != old.token_hash
    )
    assert len(rows(db, OutboxEmail)) == 2
    response = client.post(
        f"{base(studio)}/invitations/{new.id}/revoke", data={"csrf_token": token}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "its link no longer works" in page and "No pending invitations." in page
    assert actions(db) == ["staff.invited", "staff.invite_resent", "staff.invite_revoked"]
    again = client.post(f"{base(studio)}/invitations/{new.id}/revoke", data={"csrf_token": token})
    assert "already revoked" in client.get(again.headers["Location"]).get_data(as_text=True)


@pytest.mark.app_config(STAFF_INVITES_PER_HOUR=2)
def test_invitations_are_rate_limited_per_site(app, db, studio):
    client, token = as_(app, "owner@studio.test")
    assert invite(client, token, studio, "a@studio.test").status_code == 200
    assert invite(client, token, studio, "b@studio.test").status_code == 200
    response = invite(client, token, studio, "c@studio.test")
    assert response.status_code == 429 and "2 invitations in the last hour" in response.text
    assert len(rows(db, StaffInvitation)) == 2


def test_an_admin_of_one_site_reaches_nothing_of_another(app, db, studio):
    other = make_site(db, name="Other")
    make_staff(db, other.id, "boss@other.test")
    outsider = make_staff(db, other.id, "them@other.test", role="admin")
    theirs, their_token = as_(app, "boss@other.test")
    invite(theirs, their_token, {"site": other}, "pending@other.test")
    [their_invitation] = rows(db, StaffInvitation)
    with db.session() as session:
        their_membership = session.scalar(
            select(SiteMembership.id).where(SiteMembership.staff_id == outsider.id)
        )
    client, token = as_(app, "admin@studio.test")
    assert client.get(f"/staff/{other.public_key}/access/").status_code == 404
    assert invite(client, token, {"site": other}, "x@other.test").status_code == 404
    page = client.get(f"{base(studio)}/").get_data(as_text=True)
    assert "other.test" not in page
    for path in (f"invitations/{their_invitation.id}/revoke", f"invitations/{their_invitation.id}/resend",
                 f"{their_membership}/remove"):  # fmt: skip
        response = client.post(f"{base(studio)}/{path}", data={"csrf_token": token})
        assert response.status_code == 302, path
    assert rows(db, StaffInvitation)[0].revoked_at is None and len(rows(db, StaffInvitation)) == 1
    assert rows(db, SiteMembership, SiteMembership.id == their_membership) != []


def test_removing_an_account_ends_its_sessions_and_keeps_the_person(app, db, studio):
    member_client, _ = as_(app, "member@studio.test")
    key = studio["site"].public_key
    assert member_client.get(f"/staff/{key}/").status_code == 200
    client, token = as_(app, "admin@studio.test")
    with db.session() as session:
        membership = session.scalar(
            select(SiteMembership.id).where(SiteMembership.staff_id == studio["member"].id)
        )
    page = client.get(f"{base(studio)}/").get_data(as_text=True)
    assert "stays on the People page" in page  # the confirmation says what happens to Mia
    response = client.post(f"{base(studio)}/{membership}/remove", data={"csrf_token": token})
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "member@studio.test can no longer sign in" in shown
        and "Mia stays on the People page" in shown
    )
    # Signed out at once: the old session no longer opens anything.
    assert member_client.get(f"/staff/{key}/").status_code == 302
    assert rows(db, StaffSession, StaffSession.staff_id == studio["member"].id) == []
    assert rows(db, StaffUser, StaffUser.email == "member@studio.test") == []  # no other site
    [mia] = rows(db, Host, Host.id == studio["mia"])
    assert mia.staff_id is None and mia.name == "Mia"
    [event] = rows(db, AuditEvent, AuditEvent.action == "staff.removed")
    assert event.subject_id == "member@studio.test"
    assert event.data == {"staff_id": studio["member"].id, "role": "member",
                          "account_deleted": True, "host": "Mia"}  # fmt: skip
    assert sign_in(app.test_client(), "member@studio.test").status_code == 401


def test_an_account_with_another_site_keeps_it(app, db, studio):
    other = make_site(db, name="Other")
    with db.transaction() as session:
        from frontdesk.staff.accounts import grant_site

        grant_site(session, session.get(StaffUser, studio["member"].id), other.id, "member")
    client, token = as_(app, "owner@studio.test")
    with db.session() as session:
        membership = session.scalar(
            select(SiteMembership.id).where(
                SiteMembership.staff_id == studio["member"].id,
                SiteMembership.site_id == studio["site"].id,
            )
        )
    was_signed_in, _ = as_(app, "member@studio.test")
    client.post(f"{base(studio)}/{membership}/remove", data={"csrf_token": token})
    # Every session ends, the other site's too (they sign in again there).
    assert rows(db, StaffSession, StaffSession.staff_id == studio["member"].id) == []
    assert was_signed_in.get("/staff/").status_code == 302
    with db.session() as session:
        left = session.scalars(
            select(SiteMembership.site_id).where(SiteMembership.staff_id == studio["member"].id)
        ).all()
    assert left == [other.id]
    member, _ = as_(app, "member@studio.test")
    assert member.get(f"/staff/{studio['site'].public_key}/").status_code == 404


def test_owners_are_removed_only_by_owners_and_never_the_last(app, db, studio):
    with db.session() as session:
        ids = dict(session.execute(select(SiteMembership.staff_id, SiteMembership.id)).all())
    owner_membership = ids[studio["owner"].id]
    admin, token = as_(app, "admin@studio.test")
    page = admin.get(f"{base(studio)}/").get_data(as_text=True)
    assert f"/{owner_membership}/remove" not in page
    response = admin.post(f"{base(studio)}/{owner_membership}/remove", data={"csrf_token": token})
    assert "Only an owner can remove an owner." in admin.get(response.headers["Location"]).text
    owner, token = as_(app, "owner@studio.test")
    response = owner.post(f"{base(studio)}/{owner_membership}/remove", data={"csrf_token": token})
    assert "cannot remove yourself" in owner.get(response.headers["Location"]).text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(SiteMembership)) == 3
    assert actions(db) == []


def test_every_team_form_needs_its_csrf_token(app, db, studio):
    client, _token = as_(app, "owner@studio.test")
    response = client.post(
        f"{base(studio)}/invitations", data={"email": "x@studio.test", "role": "member"}
    )
    assert response.status_code == 400 and rows(db, StaffInvitation) == []


def test_an_expired_invitation_is_marked_and_resent_with_a_fresh_link(app, db, studio):
    client, token = as_(app, "admin@studio.test")
    invite(client, token, studio, "late@studio.test")
    with db.write_transaction() as session:
        session.scalars(select(StaffInvitation)).one().expires_at = utcnow() - timedelta(hours=1)
    page = client.get(f"{base(studio)}/").get_data(as_text=True)
    row = page.split('data-invitation="late@studio.test"')[1].split("</tr>")[0]
    assert "Expired" in row and "Resend" in row
    [old] = rows(db, StaffInvitation)
    client.post(f"{base(studio)}/invitations/{old.id}/resend", data={"csrf_token": token})
    _old, new = rows(db, StaffInvitation)
    assert new.expires_at > utcnow() + timedelta(days=6) and new.revoked_at is None
    page = client.get(f"{base(studio)}/").get_data(as_text=True)
    assert "Expired" not in page.split('data-invitation="late@studio.test"')[1].split("</tr>")[0]


def test_an_invitation_outlives_the_account_that_sent_it(app, db, studio):
    admin, token = as_(app, "admin@studio.test")
    invite(admin, token, studio, "new@studio.test")
    owner, token = as_(app, "owner@studio.test")
    with db.session() as session:
        membership = session.scalar(
            select(SiteMembership.id).where(SiteMembership.staff_id == studio["admin"].id)
        )
    owner.post(f"{base(studio)}/{membership}/remove", data={"csrf_token": token})
    page = owner.get(f"{base(studio)}/").get_data(as_text=True)
    row = page.split('data-invitation="new@studio.test"')[1].split("</tr>")[0]
    assert "a removed account" in row and "admin@studio.test" not in row
    [invitation] = rows(db, StaffInvitation)
    assert invitation.invited_by is None and invitation.revoked_at is None  # the link still works
