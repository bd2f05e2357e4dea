"""A business's zone must be a place: abbreviations, offsets and aliases are refused with the
zone most likely meant (visitors' zones are not concerned)."""

from __future__ import annotations

import pytest

from frontdesk.booking.site_zones import place_zones, site_zone_problem, suggest_zone
from frontdesk.booking.zones import is_zone


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("EST", "America/New_York"),
        ("est", "America/New_York"),
        ("PST8PDT", "America/Los_Angeles"),
        ("MST", "America/Denver"),
        ("HST", "Pacific/Honolulu"),
        ("CET", "Europe/Paris"),
        ("GMT", "Europe/London"),
        ("Zulu", "UTC"),
        ("Japan", "Asia/Tokyo"),
        ("AEST", "Australia/Sydney"),  # not a tzdata name at all, still understood
        ("europe/paris", "Europe/Paris"),  # only the case is wrong
        ("New York", "America/New_York"),  # a city on its own
        ("paris", "Europe/Paris"),
    ],
)
def test_names_that_are_not_places_are_refused_with_a_suggestion(typed, meant):
    problem = site_zone_problem(typed)
    assert problem is not None and problem.endswith(f"Did you mean {meant}?")
    assert suggest_zone(typed) == meant
    assert site_zone_problem(meant) is None


@pytest.mark.parametrize("name", ["Etc/GMT+5", "Etc/GMT-10", "Etc/GMT0", "Factory", "localtime"])
def test_fixed_offsets_and_oddities_are_refused(name):
    problem = site_zone_problem(name)
    assert problem is not None and "e.g. Europe/Paris or America/New_York" in problem


def test_unknown_names_say_so():
    assert site_zone_problem("Mars/Base").startswith("Unknown time zone 'Mars/Base'.")
    assert site_zone_problem("") is not None


def test_every_place_zone_is_accepted_and_known():
    zones = place_zones()
    assert {"Europe/Paris", "America/New_York", "UTC", "US/Eastern"} <= zones
    assert not any(zone.startswith(("Etc/GMT", "posix/", "right/")) for zone in zones)
    assert all(is_zone(zone) and site_zone_problem(zone) is None for zone in sorted(zones)[:50])
    assert site_zone_problem(" Europe/Paris ") is None  # surrounding spaces are forgiven
