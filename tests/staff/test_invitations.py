"""The invitation link's rules (staff/invitations.py): unguessable, stored hashed, single-use,
expiring, revoked by a resend; who may invite whom; the per-site hourly limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from frontdesk.db.models import StaffInvitation
from frontdesk.db.types import utcnow
from frontdesk.staff import invitations as inv
from tests.support.factories import make_site
from tests.support.races import race
from tests.support.staff_accounts import make_staff


@pytest.fixture
def studio(db):
    site = make_site(db, name="Studio")
    owner = make_staff(db, site.id, "owner@studio.test")
    return site, owner


def issue(db, site, owner, email="new@studio.test", role="member", *, when=None, **options):
    with db.write_transaction() as session:
        return inv.invite(
            session, site.id, email, role, inviter_id=owner.id, inviter_role="owner",
            now=when or utcnow(), **options,
        )  # fmt: skip


def use(db, token: str, when=None) -> bool:
    with db.write_transaction() as session:
        return inv.use(session, inv.look_up(session, token), when or utcnow())


def state(db, token: str, when=None) -> str:
    with db.session() as session:
        return inv.state_of(inv.look_up(session, token), when or utcnow())


def test_the_token_is_long_random_and_only_its_hash_is_stored(db, studio):
    first, second = issue(db, *studio), issue(db, *studio, email="other@studio.test")
    assert len(first.token) >= 43 and first.token != second.token  # 32 random bytes
    with db.session() as session:
        rows = session.scalars(select(StaffInvitation)).all()
    stored = " ".join(f"{r.token_hash} {r.email}" for r in rows)
    assert first.token not in stored and second.token not in stored
    assert {r.token_hash for r in rows} == {
        inv.token_hash(first.token),
        inv.token_hash(second.token),
    }
    assert state(db, first.token) == inv.VALID


def test_a_link_works_once(db, studio):
    issued = issue(db, *studio)
    assert use(db, issued.token) is True
    assert use(db, issued.token) is False
    assert state(db, issued.token) == inv.USED


def test_a_link_expires_after_the_configured_days(db, studio):
    now = utcnow()
    issued = issue(db, *studio, when=now, days=7)
    assert issued.expires_at == now + timedelta(days=7)
    assert state(db, issued.token, now + timedelta(days=6, hours=23)) == inv.VALID
    later = now + timedelta(days=7, seconds=1)
    assert state(db, issued.token, later) == inv.EXPIRED
    assert use(db, issued.token, later) is False
    assert state(db, issued.token) == inv.VALID  # nothing was marked used


def test_inviting_a_pending_address_again_kills_the_old_link(db, studio):
    old = issue(db, *studio)
    new = issue(db, *studio, email="  NEW@studio.test ")  # the same address, as typed
    assert new.email == "new@studio.test" and new.token != old.token
    assert (old.replaced, new.replaced) == (False, True)
    assert state(db, old.token) == inv.REVOKED and use(db, old.token) is False
    with db.session() as session:
        assert [r.email for r in inv.pending(session, studio[0].id)] == ["new@studio.test"]
    assert use(db, new.token) is True


def test_unknown_and_malformed_tokens_are_unknown(db, studio):
    issue(db, *studio)
    for token in ("", "short", "x" * 43, "y" * 500):
        assert state(db, token) == inv.UNKNOWN


def test_an_existing_members_address_is_refused(db, studio):
    site, owner = studio
    with pytest.raises(inv.InviteError, match="already has access"):
        issue(db, site, owner, email="Owner@Studio.test")
    with pytest.raises(inv.InviteError, match="not an e-mail address"):
        issue(db, site, owner, email="nobody")


@pytest.mark.parametrize(
    ("inviter", "role", "allowed"),
    [("owner", "owner", True), ("owner", "admin", True), ("owner", "member", True),
     ("admin", "owner", False), ("admin", "admin", True), ("admin", "member", True),
     ("member", "member", False), ("member", "admin", False)],
)  # fmt: skip
def test_who_may_invite_whom(inviter, role, allowed):
    assert inv.may_invite(inviter, role) is allowed


def test_an_admin_cannot_invite_or_revoke_an_owner(db, studio):
    site, owner = studio
    with db.write_transaction() as session, pytest.raises(inv.InviteError, match="owner"):
        inv.invite(session, site.id, "boss@studio.test", "owner", inviter_id=owner.id,
                   inviter_role="admin", now=utcnow())  # fmt: skip
    made = issue(db, site, owner, email="boss@studio.test", role="owner")
    with db.write_transaction() as session, pytest.raises(inv.InviteError, match="owner"):
        inv.revoke(session, site.id, made.id, inviter_role="admin", now=utcnow())
    assert state(db, made.token) == inv.VALID


def test_a_site_sends_at_most_its_hourly_invitations(db, studio):
    site, owner = studio
    now = utcnow()
    for n in range(3):
        issue(db, site, owner, email=f"p{n}@studio.test", when=now, per_hour=3)
    with pytest.raises(inv.TooManyInvites):
        issue(db, site, owner, email="p3@studio.test", when=now, per_hour=3)
    with pytest.raises(inv.TooManyInvites):  # a resend is an invitation too
        issue(db, site, owner, email="p0@studio.test", when=now, per_hour=3)
    other = make_site(db, name="Other")  # another site has its own count
    issue(db, other, owner, email="p3@studio.test", when=now, per_hour=3)
    issue(db, site, owner, email="p3@studio.test", when=now + timedelta(minutes=61), per_hour=3)


def test_another_sites_invitation_cannot_be_revoked_or_resent(db, studio):
    site, owner = studio
    other = make_site(db, name="Other")
    theirs = issue(db, other, owner, email="x@other.test")
    with db.write_transaction() as session, pytest.raises(inv.InviteError, match="no such"):
        inv.revoke(session, site.id, theirs.id, inviter_role="owner", now=utcnow())
    with db.session() as session, pytest.raises(inv.InviteError, match="no such"):
        inv.open_invitation(session, site.id, theirs.id)
    assert state(db, theirs.token) == inv.VALID


def test_invitations_racing_leave_one_pending_link_and_keep_the_limit(db, studio):
    site, owner = studio
    same = race(6, lambda i: issue(db, site, owner, email="same@studio.test").token)
    with db.session() as session:
        pending = inv.pending(session, site.id)
    assert len(pending) == 1 and pending[0].token_hash in {inv.token_hash(t) for t in same}
    outcomes = race(
        6, lambda i: bool(issue(db, site, owner, email=f"r{i}@studio.test", per_hour=9))
    )
    assert outcomes.count(True) == 3, outcomes  # 6 made above, 9 an hour
    assert all(o is True or "TooManyInvites" in str(o) or "invitations in the last hour" in str(o)
               for o in outcomes), outcomes  # fmt: skip


def test_closed_invitations_are_forgotten_after_thirty_days(db, studio):
    site, owner = studio
    long_ago = utcnow() - timedelta(days=40)
    used = issue(db, site, owner, email="used@studio.test", when=long_ago)
    use(db, used.token, long_ago + timedelta(hours=1))
    issue(db, site, owner, email="lapsed@studio.test", when=long_ago)  # expired 33 days ago
    recent = issue(db, site, owner, email="recent@studio.test", when=utcnow() - timedelta(days=5))
    issue(db, site, owner, email="now@studio.test")
    with db.session() as session:
        left = set(session.scalars(select(StaffInvitation.email)))
    assert left == {"recent@studio.test", "now@studio.test"}
    assert state(db, used.token) == inv.UNKNOWN and state(db, recent.token) == inv.VALID
