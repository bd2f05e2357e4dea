"""The sign-in throttle counts failures once for the deployment: N attempts spread over two
processes count as N (the processes here: two apps on one PostgreSQL database and one Redis)."""

from __future__ import annotations

from tests.support.factories import make_site
from tests.support.staff_accounts import make_staff, sign_in


def browser_at(app, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_failures_on_two_processes_add_up(make_process_app, redis_url):
    a = make_process_app(redis_url, SIGNIN_ATTEMPTS_PER_15_MIN=4)
    b = make_process_app(redis_url, SIGNIN_ATTEMPTS_PER_15_MIN=4)
    db = a.extensions["frontdesk.db"]
    make_staff(db, make_site(db).id)
    on_a, on_b = browser_at(a, "203.0.113.7"), browser_at(b, "203.0.113.7")
    for client in (on_a, on_b, on_a, on_b):  # 4 failures, 2 on each process
        assert sign_in(client, password="not the password").status_code == 401
    refused = sign_in(on_b)  # the right password, from the guessing address, on either process
    assert refused.status_code == 429
    assert sign_in(on_a).status_code == 429
    # Counted per address: the person is not locked out elsewhere.
    assert sign_in(browser_at(b, "198.51.100.20")).status_code == 302


def test_an_unreachable_redis_falls_back_to_this_process_counting(make_process_app, private_redis):
    app = make_process_app(private_redis.url, SIGNIN_ATTEMPTS_PER_15_MIN=3)
    db = app.extensions["frontdesk.db"]
    make_staff(db, make_site(db).id)
    private_redis.stop()
    attacker = browser_at(app, "203.0.113.9")
    for _ in range(3):
        assert sign_in(attacker, password="not the password").status_code == 401
    assert sign_in(attacker).status_code == 429
