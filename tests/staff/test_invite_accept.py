"""The invitation link's page: a new person sets name and password (the same rules as every
account) and is signed in with the invited role; an account of another site joins with its own
password, never changed; expired, used, revoked and unknown links each get a clear page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from frontdesk.db.models import AuditEvent, SiteMembership, StaffInvitation, StaffUser
from frontdesk.db.types import utcnow
from frontdesk.staff import invitations
from frontdesk.staff.accounts import verify_password
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.races import race
from tests.support.staff_accounts import PASSWORD, TEST_HASHER, make_staff, sign_in

NEW_PASSWORD = "a long new passphrase"


@pytest.fixture
def studio(db):
    site = make_site(db, name="Studio")
    return site, make_staff(db, site.id, "owner@studio.test")


def issue(db, studio, email="new@studio.test", role="admin", when=None):
    site, owner = studio
    with db.write_transaction() as session:
        return invitations.invite(
            session, site.id, email, role, inviter_id=owner.id, inviter_role="owner",
            now=when or utcnow(),
        )  # fmt: skip


def accept(client, token, **form):
    path = f"/staff/invite/{token}"
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), **form}
    return client.post(path, data=data)


def membership(db, email):
    with db.session() as session:
        return session.execute(
            select(SiteMembership.site_id, SiteMembership.role)
            .join(SiteMembership.staff)
            .where(StaffUser.email == email)
        ).all()


def test_a_new_person_sets_name_and_password_and_is_signed_in(app, db, studio):
    site, owner = studio
    issued = issue(db, studio)
    client = app.test_client()
    page = client.get(f"/staff/invite/{issued.token}").get_data(as_text=True)
    assert "Join Studio" in page and "new@studio.test" in page and "<strong>admin</strong>" in page
    response = accept(client, issued.token, name="  Nora   Quinn ", password=NEW_PASSWORD,
                      confirm=NEW_PASSWORD)  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/{site.public_key}/"
    assert "Welcome to Studio" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/staff/{site.public_key}/settings/").status_code == 200  # an admin now
    with db.session() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == "new@studio.test"))
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "staff.invite_accepted")
        )
    assert user.name == "Nora Quinn" and user.password_hash.startswith("$argon2id$")
    assert verify_password(TEST_HASHER, user.password_hash, NEW_PASSWORD)
    assert membership(db, "new@studio.test") == [(site.id, "admin")]
    assert (event.actor_id, event.subject_id, event.data["role"]) == (
        str(user.id),
        user.email,
        "admin",
    )
    # The link is used up; the password signs in from anywhere.
    used = app.test_client().get(f"/staff/invite/{issued.token}")
    assert used.status_code == 410 and "already accepted" in used.get_data(as_text=True)
    assert "Go to staff sign-in" in used.get_data(as_text=True)
    assert "Go to your dashboard" in client.get(f"/staff/invite/{issued.token}").get_data(
        as_text=True
    )
    assert sign_in(app.test_client(), "new@studio.test", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("form", "message"),
    [({"name": "Nora", "password": "short", "confirm": "short"}, "at least 10 characters"),
     ({"name": "Nora", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}, "do not match"),
     ({"name": "   ", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "your name")],
)  # fmt: skip
def test_the_password_rules_and_a_name_are_asked_for(app, db, studio, form, message):
    issued = issue(db, studio)
    response = accept(app.test_client(), issued.token, **form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert membership(db, "new@studio.test") == []
    with db.session() as session:  # the link still works after a refused form
        assert invitations.state_of(invitations.look_up(session, issued.token), utcnow()) == "valid"


def test_expired_revoked_and_unknown_links_say_which(app, db, studio):
    expired = issue(db, studio, "late@studio.test", when=utcnow() - timedelta(days=8))
    replaced = issue(db, studio, "twice@studio.test")
    issue(db, studio, "twice@studio.test")
    client = app.test_client()
    for token, status, words in (
        (expired.token, 410, "has expired"),
        (replaced.token, 410, "no longer valid"),
        ("A" * 43, 404, "does not work"),
    ):
        response = client.get(f"/staff/invite/{token}")
        assert response.status_code == status and words in response.get_data(as_text=True)
        assert 'name="password"' not in response.get_data(as_text=True)


def test_a_link_revoked_while_the_form_is_open_is_refused(app, db, studio):
    issued = issue(db, studio)
    client = app.test_client()
    token = csrf_from(client.get(f"/staff/invite/{issued.token}").get_data(as_text=True))
    with db.write_transaction() as session:
        session.get(StaffInvitation, issued.id).revoked_at = utcnow()
    response = client.post(f"/staff/invite/{issued.token}", data={
        "csrf_token": token, "name": "Nora", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    })  # fmt: skip
    assert response.status_code == 410 and "no longer valid" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.scalar(select(StaffUser).where(StaffUser.email == "new@studio.test")) is None


def test_an_account_of_another_site_joins_with_its_own_password(app, db, studio):
    site, _owner = studio
    other = make_site(db, name="Other")
    make_staff(db, other.id, "new@studio.test")  # owner of Other, password PASSWORD
    issued = issue(db, studio, role="member")
    client = app.test_client()
    page = client.get(f"/staff/invite/{issued.token}").get_data(as_text=True)
    assert "already have a Frontdesk account" in page and 'name="confirm"' not in page
    wrong = accept(client, issued.token, password="not the password", name="x", confirm="x")
    assert wrong.status_code == 401 and membership(db, "new@studio.test") == [(other.id, "owner")]
    response = accept(client, issued.token, password=PASSWORD, name="Evil", confirm=NEW_PASSWORD)
    assert response.status_code == 302
    assert sorted(membership(db, "new@studio.test")) == sorted(
        [(other.id, "owner"), (site.id, "member")]
    )
    with db.session() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == "new@studio.test"))
    assert verify_password(TEST_HASHER, user.password_hash, PASSWORD) and user.name != "Evil"


def test_signed_in_as_the_invited_account_one_click_joins(app, db, studio):
    site, _owner = studio
    other = make_site(db, name="Other")
    make_staff(db, other.id, "new@studio.test")
    issued = issue(db, studio, role="member")
    client = app.test_client()
    assert sign_in(client, "new@studio.test").status_code == 302
    page = client.get(f"/staff/invite/{issued.token}").get_data(as_text=True)
    assert "You are signed in as new@studio.test" in page and 'name="password"' not in page
    assert accept(client, issued.token).status_code == 302
    assert (site.id, "member") in membership(db, "new@studio.test")


def test_the_accept_form_needs_its_csrf_token(app, db, studio):
    issued = issue(db, studio)
    response = app.test_client().post(f"/staff/invite/{issued.token}", data={
        "name": "Nora", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    })  # fmt: skip
    assert response.status_code == 400 and membership(db, "new@studio.test") == []


def test_accepts_racing_on_one_link_make_one_account(app, db, studio):
    issued = issue(db, studio)
    path = f"/staff/invite/{issued.token}"
    clients = [app.test_client() for _ in range(6)]
    forms = [
        {"csrf_token": csrf_from(c.get(path).get_data(as_text=True)), "name": f"N{i}",
         "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        for i, c in enumerate(clients)
    ]  # fmt: skip
    outcomes = race(len(clients), lambda i: clients[i].post(path, data=forms[i]).status_code)
    assert sorted(outcomes).count(302) == 1, outcomes
    assert set(outcomes) <= {302, 409, 410}, outcomes
    with db.session() as session:
        accepted = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.invite_accepted")
        ).all()
        assert session.scalars(
            select(StaffUser.email).where(StaffUser.email == "new@studio.test")
        ).all() == ["new@studio.test"]
    assert len(accepted) == 1 and len(membership(db, "new@studio.test")) == 1
