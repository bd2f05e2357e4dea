"""Roles on a site: a member is refused (403) every route that needs an admin, found by walking
app.url_map; admins and owners get in; admins and owners change roles (only an owner makes or
demotes owners), audited, and a site always keeps an owner; a demoted account's open session
loses its rights at once; a member's nav shows only what they can use, and the team read-only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from frontdesk.db.models import (
    AuditEvent,
    EvalCase,
    Host,
    MessageFeedback,
    SiteMembership,
    StaffUser,
)
from frontdesk.staff import roles
from tests.support.bookings import book
from tests.support.conversations import make_conversation
from tests.support.factories import make_site
from tests.support.forms import csrf_from
from tests.support.hosts import add_hosts
from tests.support.staff_accounts import make_staff, sign_in
from tests.support.staff_routes import route_url, send, site_routes

# What only admins (and owners) may reach: whole sections, and one action of the Training
# section a member may not take. Everything else is a member's work.
ADMIN_SECTIONS = (
    "staff.settings.",
    "staff.hosts.",
    "staff.access.",
    "staff.knowledge.",
    "staff.privacy.",
    "staff.onboarding.",
    "training.",
)
MEMBER_ALLOWED = {"training.save_feedback", "staff.access.index"}  # the team, read-only
# Each must be found, so a renamed route cannot slip out of the walk unnoticed.
KNOWN_ADMIN = {
    "staff.settings.index",
    "staff.hosts.index",
    "staff.hosts.add",
    "staff.access.change_role",
    "staff.access.invite",
    "staff.access.resend",
    "staff.access.revoke",
    "staff.access.remove",
    "staff.knowledge.upload",
    "staff.privacy.erase",
    "training.index",
    "training.start_job",
    "training.turn_into_test",
}


def needs_admin(endpoint: str) -> bool:
    """Does the rule this test holds the app to say the route is for admins?"""
    return endpoint.startswith(ADMIN_SECTIONS) and endpoint not in MEMBER_ALLOWED


@pytest.fixture
def team(db, app_bookings):
    """A site with an owner (its first account), an admin and a member, a booking made in a
    chat, and two people who take bookings: Mia (the member's own) and Noah."""
    site = make_site(db, name="Studio")
    conversation = make_conversation(db, site, texts=[("visitor", "Hello"), ("assistant", "Hi!")])
    booking = book(app_bookings, site, conversation_id=conversation.id).booking
    owner = make_staff(db, site.id, "owner@studio.test")
    admin = make_staff(db, site.id, "admin@studio.test", role="admin")
    member = make_staff(db, site.id, "member@studio.test")
    hosts = add_hosts(db, site, ["Mia", "Noah"])
    with db.transaction() as session:
        session.get(Host, hosts["Mia"]).staff_id = member.id
        keys = {n: session.get(Host, i).public_id for n, i in hosts.items()}
    return {
        "site": site, "booking": booking, "conversation": conversation, "hosts": keys,
        "owner": owner, "admin": admin, "member": member,
    }  # fmt: skip


def url_for_rule(rule, team, host: str = "Noah") -> str:
    """The rule's URL on the team's site (Noah's, where it names a person)."""
    return route_url(rule, team["site"], team["conversation"], team["booking"], team["hosts"][host])


def signed_in_as(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client, csrf_from(client.get("/staff/password").get_data(as_text=True))


def test_first_account_of_a_site_is_its_owner_and_later_ones_members(db, team):
    with db.session() as session:
        held = dict(
            session.execute(
                select(StaffUser.email, SiteMembership.role).join(SiteMembership.staff)
            ).all()
        )
    assert held == {
        "owner@studio.test": "owner", "admin@studio.test": "admin", "member@studio.test": "member",
    }  # fmt: skip


def test_a_member_is_refused_every_admin_route_and_nothing_else(app, db, team):
    client, token = signed_in_as(app, "member@studio.test")
    refused, allowed = set(), set()
    for endpoint, method, rule in site_routes(app):
        response = send(client, method, url_for_rule(rule, team), token)
        if needs_admin(endpoint):
            assert response.status_code == 403, (endpoint, method, response.status_code)
            refused.add(endpoint)
        elif not endpoint.startswith("staff.calendars."):  # Noah's calendars: below
            assert response.status_code != 403, (endpoint, method)
            allowed.add(endpoint)
    assert refused >= KNOWN_ADMIN, KNOWN_ADMIN - refused
    assert {"staff.bookings.cancel", "staff.conversations.index", "staff.email.index"} <= allowed
    with db.session() as session:  # nothing a refused POST could have changed did change
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action.like("host.%"))) is None
        assert {m.role for m in session.scalars(select(SiteMembership))} == set(roles.ROLES)


def test_an_admin_gets_into_every_admin_section(app, team):
    client, _token = signed_in_as(app, "admin@studio.test")
    key = team["site"].public_key
    for path in ("settings/", "hosts/", "knowledge/", "privacy/", "training/"):
        assert client.get(f"/staff/{key}/{path}").status_code == 200, path
    noah = team["hosts"]["Noah"]
    assert client.get(f"/staff/{key}/calendars/{noah}/").status_code == 200


def test_a_member_reaches_their_own_calendar_only(app, team):
    client, token = signed_in_as(app, "member@studio.test")
    key, mia, noah = team["site"].public_key, team["hosts"]["Mia"], team["hosts"]["Noah"]
    assert client.get(f"/staff/{key}/calendars/{mia}/").status_code == 200
    listing = client.get(f"/staff/{key}/calendars/").get_data(as_text=True)
    assert ">Mia<" in listing and ">Noah<" not in listing
    for endpoint, method, rule in site_routes(app):
        if endpoint.startswith("staff.calendars.") and "host_key" in rule.arguments:
            response = send(client, method, url_for_rule(rule, team, "Noah"), token)
            assert response.status_code == 403, (endpoint, method, response.status_code)
    assert client.get(f"/staff/{key}/calendars/{noah}/").status_code == 403


def test_a_members_nav_shows_only_what_they_can_use(app, team):
    key = team["site"].public_key
    member, _ = signed_in_as(app, "member@studio.test")
    page = member.get(f"/staff/{key}/").get_data(as_text=True)
    for hidden in ("settings/", "hosts/", "knowledge/", "privacy/", "training/"):
        assert f'href="/staff/{key}/{hidden}"' not in page, hidden
    assert f'href="/staff/{key}/bookings/"' in page and "My calendar" in page
    assert f'href="/staff/{key}/access/"' in page  # People: the team, read-only
    assert 'id="onboarding"' not in page  # the first-run checklist is an admin's
    detail = f"/staff/{key}/conversations/{team['conversation'].public_id}"
    assert "Turn into a test" not in member.get(detail).get_data(as_text=True)
    admin, _ = signed_in_as(app, "admin@studio.test")
    page = admin.get(f"/staff/{key}/").get_data(as_text=True)
    assert f'href="/staff/{key}/settings/"' in page and f'href="/staff/{key}/hosts/"' in page
    assert "Turn into a test" in admin.get(detail).get_data(as_text=True)


def membership_id(db, email: str) -> int:
    with db.session() as session:
        return session.scalar(
            select(SiteMembership.id).join(SiteMembership.staff).where(StaffUser.email == email)
        )


def role_of(db, email: str) -> str:
    with db.session() as session:
        return session.get(SiteMembership, membership_id(db, email)).role


def change(client, token, team, db, email: str, role: str):
    path = f"/staff/{team['site'].public_key}/access/{membership_id(db, email)}"
    return client.post(path, data={"csrf_token": token, "role": role})


def test_an_owner_changes_a_role_on_the_access_page_and_it_is_audited(app, db, team):
    client, token = signed_in_as(app, "owner@studio.test")
    key = team["site"].public_key
    people = client.get(f"/staff/{key}/hosts/").get_data(as_text=True)
    assert f'href="/staff/{key}/access/"' in people  # the People page's second tab
    access = client.get(f"/staff/{key}/access/").get_data(as_text=True)
    assert 'id="access"' in access and "member@studio.test" in access and "Change role" in access
    response = change(client, token, team, db, "member@studio.test", "admin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/access/")
    assert role_of(db, "member@studio.test") == "admin"
    with db.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.role_changed")
        ).one()
    assert (event.subject_id, event.actor_id) == ("member@studio.test", str(team["owner"].id))
    assert event.data == {"from": "member", "to": "admin"}


def test_an_admin_changes_roles_but_never_makes_or_demotes_an_owner(app, db, team):
    client, token = signed_in_as(app, "admin@studio.test")
    access = client.get(f"/staff/{team['site'].public_key}/access/").get_data(as_text=True)
    member_id, owner_id = (
        membership_id(db, "member@studio.test"),
        membership_id(db, "owner@studio.test"),
    )
    assert f'id="role-{member_id}"' in access and f'id="role-{owner_id}"' not in access
    assert '<option value="owner"' not in access  # an admin's menu: admin and member
    assert change(client, token, team, db, "member@studio.test", "admin").status_code == 302
    assert role_of(db, "member@studio.test") == "admin"
    for email, role in (("admin@studio.test", "owner"), ("owner@studio.test", "member")):
        response = change(client, token, team, db, email, role)
        assert response.status_code == 302
        assert "Only an owner can" in client.get(response.headers["Location"]).get_data(
            as_text=True
        )
    assert (role_of(db, "admin@studio.test"), role_of(db, "owner@studio.test")) == (
        "admin", "owner",
    )  # fmt: skip
    with db.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.role_changed")
        ).all()
    assert [(e.subject_id, e.data) for e in events] == [
        ("member@studio.test", {"from": "member", "to": "admin"})
    ]


def test_a_role_change_needs_the_forms_csrf_token(app, db, team):
    client, _token = signed_in_as(app, "owner@studio.test")
    path = f"/staff/{team['site'].public_key}/access/{membership_id(db, 'member@studio.test')}"
    assert client.post(path, data={"role": "admin"}).status_code == 400
    assert client.post(path, data={"role": "admin", "csrf_token": "forged"}).status_code == 400
    assert role_of(db, "member@studio.test") == "member"


def test_a_demoted_admins_open_session_loses_its_rights_at_once(app, db, team):
    key = team["site"].public_key
    admin, admin_token = signed_in_as(app, "admin@studio.test")
    assert admin.get(f"/staff/{key}/settings/").status_code == 200
    owner, owner_token = signed_in_as(app, "owner@studio.test")
    assert change(owner, owner_token, team, db, "admin@studio.test", "member").status_code == 302
    # The same session, not signed in again: the next page and form are a member's.
    assert admin.get(f"/staff/{key}/settings/").status_code == 403
    assert change(admin, admin_token, team, db, "member@studio.test", "admin").status_code == 403
    team_page = admin.get(f"/staff/{key}/access/").get_data(as_text=True)
    assert "data-readonly" in team_page and "Change role" not in team_page
    assert f'href="/staff/{key}/settings/"' not in team_page


def test_a_member_sees_the_team_read_only(app, db, team):
    client, _token = signed_in_as(app, "member@studio.test")
    page = client.get(f"/staff/{team['site'].public_key}/access/").get_data(as_text=True)
    for email in ("owner@studio.test", "admin@studio.test", "member@studio.test"):
        assert email in page
    assert ">Owner<" in page and ">Admin<" in page and "Mia" in page
    for hidden in ("Change role", "Invite someone", "Pending invitations", "Remove", "<form"):
        assert hidden not in page.split('id="access"')[1], hidden


def test_a_site_never_loses_its_last_owner(app, db, team):
    client, token = signed_in_as(app, "owner@studio.test")
    response = change(client, token, team, db, "owner@studio.test", "member")
    assert response.status_code == 302
    assert role_of(db, "owner@studio.test") == "owner"
    assert "needs an owner" in client.get(response.headers["Location"]).get_data(as_text=True)
    # With a second owner, the first may step down.
    assert change(client, token, team, db, "admin@studio.test", "owner").status_code == 302
    assert change(client, token, team, db, "owner@studio.test", "admin").status_code == 302
    assert (role_of(db, "owner@studio.test"), role_of(db, "admin@studio.test")) == (
        "admin", "owner",
    )  # fmt: skip
    # The former owner, an admin now, can no longer make owners.
    assert change(client, token, team, db, "member@studio.test", "owner").status_code == 302
    assert role_of(db, "member@studio.test") == "member"


def test_a_role_change_refuses_unknown_roles_and_other_sites_accounts(app, db, team):
    other = make_site(db, name="Other")
    make_staff(db, other.id, "elsewhere@studio.test")
    client, token = signed_in_as(app, "owner@studio.test")
    change(client, token, team, db, "member@studio.test", "superuser")
    assert role_of(db, "member@studio.test") == "member"
    change(client, token, team, db, "elsewhere@studio.test", "member")
    assert role_of(db, "elsewhere@studio.test") == "owner"


def test_a_member_may_rate_answers_but_not_make_test_cases(app, db, team):
    client, token = signed_in_as(app, "member@studio.test")
    key, conversation = team["site"].public_key, team["conversation"].public_id
    path = f"/staff/{key}/training/feedback/{conversation}/2"  # the assistant's "Hi!"
    response = client.post(path, data={"csrf_token": token, "rating": "up", "then": "case"})
    assert response.status_code == 403
    assert client.post(path, data={"csrf_token": token, "rating": "good"}).status_code == 302
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(EvalCase)) == 0
        assert session.scalar(select(MessageFeedback.rating)) == "good"
