"""Staff sign-in, throttling, sign-out and password change over real HTTP requests."""

from __future__ import annotations

import re

from frontdesk.db.models import StaffUser
from tests.support.forms import csrf_from
from tests.support.staff_accounts import PASSWORD, sign_in


def test_password_is_stored_as_argon2_hash(app, staff):
    with app.extensions["frontdesk.db"].session() as session:
        stored = session.get(StaffUser, staff.id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_anonymous_is_sent_to_signin(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/staff/signin" in response.headers["Location"]


def test_signin_with_right_password(client, staff):
    response = sign_in(client)
    assert response.status_code == 302
    assert client.get("/staff/", follow_redirects=True).status_code == 200


def test_signin_with_wrong_password_is_refused(client, staff):
    response = sign_in(client, password="wrong password!")
    assert response.status_code == 401
    assert client.get("/staff/").status_code == 302
    # The address stays in its field, the password does not, and typing goes on in the password.
    page = response.get_data(as_text=True)
    assert f'value="{staff.email}"' in page
    assert "wrong password!" not in page
    assert re.search(r'<input id="password"[^>]*autofocus', page)


def test_signin_form_without_csrf_token_is_rejected(client, staff):
    response = client.post("/staff/signin", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 400


def from_ip(app, ip: str):
    """A browser at `ip`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_signin_is_throttled_after_repeated_failures(app, staff):
    limit = app.config["SIGNIN_ATTEMPTS_PER_15_MIN"]
    attacker = from_ip(app, "203.0.113.7")
    for _ in range(limit):
        assert sign_in(attacker, password="not the password").status_code == 401
    # Even the right password is refused from that address while throttled...
    refused = sign_in(attacker)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    # ... but the person is not locked out: the right password from their own address works.
    assert sign_in(from_ip(app, "198.51.100.20")).status_code == 302


def test_one_address_trying_many_accounts_is_throttled(app, staff):
    app.config["SIGNIN_ATTEMPTS_PER_15_MIN"] = 2
    sprayer = from_ip(app, "203.0.113.8")
    for n in range(6):  # three times the limit, spread over accounts
        assert sign_in(sprayer, email=f"guess{n}@studio.test").status_code == 401
    assert sign_in(sprayer).status_code == 429
    assert sign_in(from_ip(app, "198.51.100.21")).status_code == 302


def test_guessing_spread_over_addresses_spares_browsers_that_signed_in_before(app, staff):
    app.config["SIGNIN_ATTEMPTS_PER_15_MIN"] = 2
    owner = from_ip(app, "198.51.100.30")
    assert sign_in(owner).status_code == 302  # this browser now carries a device cookie
    for n in range(20):  # ten times the limit on one account, one failure per address
        assert sign_in(from_ip(app, f"203.0.113.{n + 100}"), password="guess").status_code == 401
    assert sign_in(from_ip(app, "203.0.113.200")).status_code == 429  # an unknown browser
    owner.environ_base["REMOTE_ADDR"] = "198.51.100.31"  # the owner, from a new network
    assert sign_in(owner).status_code == 302


def test_open_redirect_after_signin_is_refused(client, staff):
    token = csrf_from(client.get("/staff/signin").get_data(as_text=True))
    response = client.post(
        "/staff/signin",
        data={
            "email": staff.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert response.headers["Location"].startswith("/staff")


def test_control_characters_in_next_are_refused_not_a_500(client, staff):
    token = csrf_from(client.get("/staff/signin").get_data(as_text=True))
    for target in ("/\r\nSet-Cookie: x=1", "/\\evil.example", "/ok\x00"):
        form = {"email": "ana@studio.test", "password": PASSWORD, "csrf_token": token}
        response = client.post("/staff/signin", data={**form, "next": target})
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/staff/"
        assert "\r" not in response.headers["Location"]
        client.get("/staff/signin")  # the sign-in form again, as a browser would
        token = csrf_from(client.get("/staff/signin").get_data(as_text=True))


def test_signout_ends_the_session(client, staff):
    sign_in(client)
    token = csrf_from(client.get("/staff/password").get_data(as_text=True))
    client.post("/staff/signout", data={"csrf_token": token})
    assert client.get("/staff/").status_code == 302


def test_password_change_ends_other_sessions(app, staff):
    first, second = app.test_client(), app.test_client()
    sign_in(first)
    sign_in(second)
    token = csrf_from(first.get("/staff/password").get_data(as_text=True))
    new = "a much better passphrase"
    response = first.post(
        "/staff/password",
        data={"current": PASSWORD, "new": new, "confirm": new, "csrf_token": token},
    )
    assert response.status_code == 302
    assert first.get("/staff/").status_code in (200, 302)
    assert first.get("/staff/password").status_code == 200
    assert second.get("/staff/password").status_code == 302  # stale session
    assert sign_in(app.test_client(), password=new).status_code == 302


def test_password_change_requires_current_password(client, staff):
    sign_in(client)
    token = csrf_from(client.get("/staff/password").get_data(as_text=True))
    response = client.post(
        "/staff/password",
        data={"current": "wrong", "new": "x" * 12, "confirm": "x" * 12, "csrf_token": token},
    )
    assert response.status_code == 400


def copy_session(source, target) -> None:
    """Give `target` the browser cookie of `source`, as someone who copied it would."""
    target.set_cookie("session", source.get_cookie("session").value)


def test_a_copied_cookie_stops_working_after_sign_out(app, staff):
    browser, thief = app.test_client(), app.test_client()
    sign_in(browser)
    copy_session(browser, thief)
    assert thief.get("/staff/password").status_code == 200
    token = csrf_from(browser.get("/staff/password").get_data(as_text=True))
    assert browser.post("/staff/signout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/staff/password").status_code == 302  # ended on the server


def test_password_change_ends_copies_of_this_browsers_old_cookie(app, staff):
    browser, thief = app.test_client(), app.test_client()
    sign_in(browser)
    copy_session(browser, thief)
    token = csrf_from(browser.get("/staff/password").get_data(as_text=True))
    new = "a much better passphrase"
    form = {"current": PASSWORD, "new": new, "confirm": new, "csrf_token": token}
    assert browser.post("/staff/password", data=form).status_code == 302
    assert browser.get("/staff/password").status_code == 200
    assert thief.get("/staff/password").status_code == 302


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def test_sign_out_everywhere_ends_every_session(app, staff):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, password=PASSWORD)
    phone.environ_base["HTTP_USER_AGENT"] = IPHONE
    sign_in(phone)
    page = laptop.get("/staff/password").get_data(as_text=True)
    assert "Safari on iPhone" in page and "(this browser)" in page  # in words, not the header
    token = csrf_from(page)
    response = laptop.post("/staff/sessions/end-all", data={"csrf_token": token})
    assert response.status_code == 302 and "/staff/signin" in response.headers["Location"]
    assert laptop.get("/staff/password").status_code == 302
    assert phone.get("/staff/password").status_code == 302
    assert sign_in(app.test_client()).status_code == 302  # the password still works


def test_sessions_unused_past_the_idle_limit_end(app, staff):
    from datetime import timedelta

    from frontdesk.db.models import StaffSession

    browser = app.test_client()
    sign_in(browser)
    with app.extensions["frontdesk.db"].transaction() as session:
        for row in session.query(StaffSession):
            row.last_seen_at -= timedelta(days=15)
    assert browser.get("/staff/password").status_code == 302


def test_browsers_are_named_in_words():
    from frontdesk.staff.user_agents import describe

    edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    edge += "Chrome/120.0 Safari/537.36 Edg/120.0"
    firefox = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0"
    assert describe(edge) == "Edge on Windows"
    assert describe(firefox) == "Firefox on macOS"
    assert describe(IPHONE) == "Safari on iPhone"
    assert describe("curl/8.0") == "Unknown browser" and describe(None) == "Unknown browser"
