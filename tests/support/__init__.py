"""Helpers shared by the test packages (one place, imported as ``tests.support.X``).

- ``databases``: the test PostgreSQL, the crawled demo database, private copies of it;
- ``crawling``: registry entries and files pointing at a local site, a crawl in a child;
- ``samples``: realistic HTML, JSON and PDF documents;
- ``hostile``: a source whose every field is an attack;
- ``webhook``: a real webhook receiver for notifications;
- ``waiting``: wait for a process's readiness line instead of sleeping.

Their fixtures are in ``tests/conftest.py``.
"""
