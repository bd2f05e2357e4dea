"""Staff accounts: argon2 password hashing and membership of sites."""

from __future__ import annotations

import functools
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.db.models import SiteMembership, StaffUser
from frontdesk.staff import roles

MIN_PASSWORD_LENGTH = 10
# argon2-cffi's parameter profiles by name (PASSWORD_HASH_PROFILE). The default is its own
# (RFC 9106's low-memory choice: 64 MiB, 3 passes). CHEAPEST is for test suites only: each
# hash then takes microseconds instead of a third of a second, for attackers too.
HASH_PROFILES = {
    "RFC_9106_LOW_MEMORY": profiles.RFC_9106_LOW_MEMORY,
    "RFC_9106_HIGH_MEMORY": profiles.RFC_9106_HIGH_MEMORY,
    "CHEAPEST": profiles.CHEAPEST,
}
# Where create_app keeps the app's hasher (PASSWORD_HASH_PROFILE's parameters).
HASHER_EXTENSION = "frontdesk.password_hasher"


class AccountError(ValueError):
    """A staff account could not be created or changed (message says why)."""


def password_hasher(profile: str) -> PasswordHasher:
    """The argon2id hasher of one of argon2-cffi's parameter profiles, by name (HASH_PROFILES);
    ValueError for another name."""
    if profile not in HASH_PROFILES:
        raise ValueError(f"{profile!r} is not a profile: choose one of {', '.join(HASH_PROFILES)}")
    return PasswordHasher.from_parameters(HASH_PROFILES[profile])


def app_hasher(app: Any) -> PasswordHasher:
    """The hasher create_app made from the app's PASSWORD_HASH_PROFILE."""
    return app.extensions[HASHER_EXTENSION]


def weak_profile_warning(profile: str) -> str | None:
    """What a server says at start-up when staff passwords would be hashed with the test
    suite's CHEAPEST profile (a setting copied from a test environment by mistake)."""
    if profile != "CHEAPEST":
        return None
    return (
        "WARNING: PASSWORD_HASH_PROFILE is CHEAPEST (FRONTDESK_PASSWORD_HASH_PROFILE): staff "
        "passwords are hashed with argon2's test-only parameters, which an attacker with the "
        "database guesses in microseconds. Unset it on any server that real people sign in to."
    )


def verify_password(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """True when the password matches the stored hash (whatever parameters made it)."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    *,
    hasher: PasswordHasher,
) -> StaffUser:
    """Create the staff user (or reuse it by e-mail, setting this password) with access to the
    site (`role`, or by default owner of a site without one, else member). Callers that must
    not change an existing password check `staff_by_email` first."""
    email = normalize_email(email)
    check_password_strength(password)
    user = staff_by_email(session, email)
    if user is None:
        user = StaffUser(email=email, name=name, password_hash=hasher.hash(password))
        session.add(user)
        session.flush()
    else:
        user.password_hash = hasher.hash(password)
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


def authenticate(
    session: Session, email: str, password: str, *, hasher: PasswordHasher
) -> StaffUser | None:
    """The staff user for these credentials, or None; rehashes a password whose hash has other
    parameters than the hasher's on success."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        # Hash anyway so a missing account takes as long as a wrong password.
        verify_password(hasher, _dummy_hash(hasher), password)
        return None
    if not verify_password(hasher, user.password_hash, password):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def _dummy_hash(hasher: PasswordHasher) -> str:
    # Made with the hasher's own parameters, so it costs what a real account's check costs.
    return _dummy_for(hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.type)


@functools.cache
def _dummy_for(time_cost: int, memory_cost: int, parallelism: int, kind: Any) -> str:
    # One per set of parameters, not per app: the suite builds hundreds of apps.
    hasher = PasswordHasher(time_cost, memory_cost, parallelism, type=kind)
    return hasher.hash("frontdesk-timing-equaliser")
