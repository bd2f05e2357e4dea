"""Plain helpers for the tests: builders, servers, clients and fakes (no tests, no fixtures).

Fixtures live in conftest.py files (tests/conftest.py and tests/<area>/conftest.py); a helper is
here when tests call it with their own arguments. Test modules import from here, never from
another test module or a conftest.
"""
