"""The staff dashboard: sign-in, account, and the site-scoped sections nested below."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as flask_session

from frontdesk.extensions import get_db
from frontdesk.staff import (
    bookings,
    conversations,
    email_log,
    host_calendars,
    hosts,
    inbox_state,
    invite_accept,
    knowledge,
    live,
    onboarding,
    overview,
    privacy,
    roles,
    sessions,
    settings,
    team_access,
)
from frontdesk.staff.accounts import (
    AccountError,
    app_hasher,
    authenticate,
    check_password_strength,
    verify_password,
)
from frontdesk.staff.auth import (
    client_ip,
    current_role,
    current_staff,
    login_required,
    sign_in,
    sign_out,
    staff_sites,
)
from frontdesk.staff.mail_state import mail_state
from frontdesk.staff.throttle import known_device, remember_device, throttle
from frontdesk.staff.user_agents import describe

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The dashboard's sections, each nested under /staff/<site_key>/...; nested here, at import,
# because a blueprint is frozen once an app has registered it.
bp.register_blueprint(overview.bp)
bp.register_blueprint(bookings.bp)
bp.register_blueprint(conversations.bp)
bp.register_blueprint(settings.bp)
bp.register_blueprint(knowledge.bp)
bp.register_blueprint(privacy.bp)
bp.register_blueprint(live.bp)
bp.register_blueprint(onboarding.bp)
bp.register_blueprint(email_log.bp)
bp.register_blueprint(host_calendars.bp)
bp.register_blueprint(hosts.bp)
bp.register_blueprint(team_access.bp)
bp.register_blueprint(invite_accept.bp)  # /staff/invite/<token>: no site, no sign-in


@bp.after_app_request
def _security_headers(response):
    if request.path.startswith("/staff"):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_errorhandler(404)
def _not_found(error):
    """A dashboard address that leads nowhere gets a dashboard page with a way back, not the
    framework's bare one (other parts of the app keep their own answer)."""
    if not request.path.startswith("/staff"):
        return error
    return render_template("staff/not_found.html"), 404


@bp.app_context_processor
def _nav_context() -> dict:
    if not request.path.startswith("/staff"):
        return {}
    user = current_staff()
    return {
        "staff_user": user,
        "staff_site_list": staff_sites(user) if user else [],
        # Transcript excerpts anywhere in the dashboard: Markdown rendered, never raw.
        "message_html": inbox_state.message_html,
        # What a member cannot use is not shown (the routes refuse it too: auth.role_required).
        "staff_is_admin": roles.at_least(current_role(), roles.ADMIN),
        "staff_is_owner": roles.at_least(current_role(), roles.OWNER),
        "onboarding_steps": _checklist,
        "mail_state": mail_state(current_app.config),
    }


def _checklist(site):
    """The first-run checklist, for those who can act on it (admins); None for members."""
    return onboarding.checklist(site) if roles.at_least(current_role(), roles.ADMIN) else None


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so sign-in cannot redirect to another host (nor put
    control characters, or a backslash browsers read as a slash, into a Location header)."""
    if not isinstance(target, str) or len(target) > 2000:
        return url_for("staff.home")
    if any(ord(c) < 0x20 or c in "\\\x7f" for c in target):
        return url_for("staff.home")
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("staff.home")


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    """Show the sign-in form and check credentials (throttled against guessing)."""
    if request.method == "GET":
        return render_template("staff/signin.html", next=request.args.get("next", ""))
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")[:256]
    ip = client_ip()
    limiter = throttle()
    limit = current_app.config["SIGNIN_ATTEMPTS_PER_15_MIN"]
    wait = limiter.retry_after(email, ip, limit, known_device(email))
    if wait:
        minutes = max(1, round(wait / 60))
        flash(f"Too many failed sign-ins. Try again in about {minutes} minutes.", "error")
        page = render_template(
            "staff/signin.html", next=_safe_next(request.form.get("next")), email=email
        )
        return page, 429, {"Retry-After": str(wait)}
    with get_db().transaction() as session:
        user = authenticate(session, email, password, hasher=app_hasher(current_app))
    if user is None:
        limiter.failed(email, ip)
        flash("That e-mail and password do not match.", "error")
        # The address stays typed: only the password was wrong (or the address mistyped).
        page = render_template("staff/signin.html", next=request.form.get("next", ""), email=email)
        return page, 401
    limiter.succeeded(email, ip)
    sign_in(user)
    response = redirect(_safe_next(request.form.get("next")))
    remember_device(response, email)
    return response


@bp.post("/signout")
def signout():
    """End the session."""
    sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("staff.signin"))


@bp.get("/")
@login_required
def home():
    """Go to the first site's overview, or say there is none."""
    sites = staff_sites(current_staff())
    if len(sites) == 1:
        return redirect(url_for("staff.overview.index", site_key=sites[0].public_key))
    return render_template("staff/home.html", sites=sites)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change the signed-in user's password (asks for the current one)."""
    if request.method == "GET":
        return _account_page()
    user = current_staff()
    current = request.form.get("current", "")
    new = request.form.get("new", "")
    hasher = app_hasher(current_app)
    if not verify_password(hasher, user.password_hash, current):
        flash("Your current password is not right.", "error")
        return _account_page(400)
    if new != request.form.get("confirm", ""):
        flash("The new passwords do not match.", "error")
        return _account_page(400)
    try:
        check_password_strength(new)
    except AccountError as exc:
        flash(str(exc), "error")
        return _account_page(400)
    with get_db().transaction() as session:
        stored = session.merge(user)
        stored.password_hash = hasher.hash(new)
    user.password_hash = stored.password_hash
    # Every session of this user ends on the server (their open sockets close at once); this
    # browser gets a new one.
    sessions.revoke(get_db(), user.id)
    sign_in(user)
    flash("Password changed. You are signed out everywhere else.", "success")
    return redirect(url_for("staff.home"))


def _account_page(status: int = 200):
    user = current_staff()
    listed = sessions.list_sessions(get_db(), user.id, flask_session.get("sid"))
    return render_template("staff/password.html", sessions=listed, describe=describe), status


@bp.post("/sessions/end-all")
@login_required
def end_all_sessions():
    """Sign out everywhere: every session of this user ends, this one included."""
    sessions.revoke(get_db(), current_staff().id)
    sign_out()
    flash("You are signed out everywhere.", "info")
    return redirect(url_for("staff.signin"))
