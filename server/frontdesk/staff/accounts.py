"""Staff accounts: argon2 password hashing and membership of sites."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.db.models import SiteMembership, StaffUser
from frontdesk.staff import roles

MIN_PASSWORD_LENGTH = 10
# argon2-cffi's parameter profiles by name. The default is its own (RFC 9106's low-memory
# choice: 64 MiB, 3 passes). CHEAPEST is for test suites only: each hash then takes
# microseconds instead of a third of a second, for attackers too.
HASH_PROFILE_ENV = "FRONTDESK_PASSWORD_HASH_PROFILE"
HASH_PROFILES = {
    "RFC_9106_LOW_MEMORY": profiles.RFC_9106_LOW_MEMORY,
    "RFC_9106_HIGH_MEMORY": profiles.RFC_9106_HIGH_MEMORY,
    "CHEAPEST": profiles.CHEAPEST,
}


class AccountError(ValueError):
    """A staff account could not be created or changed (message says why)."""


def hasher_for(environ: Mapping[str, str]) -> PasswordHasher:
    """The argon2id hasher of the profile `FRONTDESK_PASSWORD_HASH_PROFILE` names in `environ`
    (default RFC_9106_LOW_MEMORY); ValueError for a name that is not a profile."""
    name = environ.get(HASH_PROFILE_ENV) or "RFC_9106_LOW_MEMORY"
    if name not in HASH_PROFILES:
        raise ValueError(f"{HASH_PROFILE_ENV}={name!r}: choose one of {', '.join(HASH_PROFILES)}")
    return PasswordHasher.from_parameters(HASH_PROFILES[name])


def weak_profile_warning(environ: Mapping[str, str]) -> str | None:
    """What a server says at start-up when staff passwords would be hashed with the test
    suite's CHEAPEST profile (a setting copied from a test environment by mistake)."""
    if environ.get(HASH_PROFILE_ENV) != "CHEAPEST":
        return None
    return (
        f"WARNING: {HASH_PROFILE_ENV}=CHEAPEST: staff passwords are hashed with argon2's "
        "test-only parameters, which an attacker with the database guesses in microseconds. "
        "Unset it on any server that real people sign in to."
    )


@functools.cache
def _hasher() -> PasswordHasher:
    # Chosen when first needed and kept: every hash of a process has the same parameters.
    return hasher_for(os.environ)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(password_hash)


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing (ASVS 2.1.1: at least 8; we ask 10)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > 256:
        raise AccountError("Passwords can be at most 256 characters.")


def normalize_email(email: str) -> str:
    """The e-mail address as accounts store it (trimmed, lower case), or AccountError."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address.")
    return email


def staff_by_email(session: Session, email: str) -> StaffUser | None:
    """The staff account with this e-mail address, or None."""
    return session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))


def add_staff(
    session: Session,
    email: str,
    password: str,
    site_id: int,
    name: str = "",
    role: str | None = None,
) -> StaffUser:
    """Create the staff user (or reuse it by e-mail, setting this password) with access to the
    site (`role`, or by default owner of a site without one, else member). Callers that must
    not change an existing password check `staff_by_email` first."""
    email = normalize_email(email)
    check_password_strength(password)
    user = staff_by_email(session, email)
    if user is None:
        user = StaffUser(email=email, name=name, password_hash=hash_password(password))
        session.add(user)
        session.flush()
    else:
        user.password_hash = hash_password(password)
    grant_site(session, user, site_id, role)
    return user


def grant_site(session: Session, user: StaffUser, site_id: int, role: str | None = None) -> bool:
    """Give the user access to the site with `role` (default: owner of a site that has none,
    else member); False when they already had it."""
    membership = session.scalar(
        select(SiteMembership).where(
            SiteMembership.staff_id == user.id, SiteMembership.site_id == site_id
        )
    )
    if membership is not None:
        return False
    if role is not None and role not in roles.ROLES:
        raise AccountError(f"{role!r} is not a role: choose one of {', '.join(roles.ROLES)}.")
    role = role or roles.first_role(session, site_id)
    session.add(SiteMembership(staff_id=user.id, site_id=site_id, role=role))
    return True


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The staff user for these credentials, or None; upgrades old hashes on success."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        # Hash anyway so a missing account takes as long as a wrong password.
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


@functools.cache
def _dummy_hash() -> str:
    return _hasher().hash("frontdesk-timing-equaliser")
