"""The report tests read the demo database crawled through the real cycle: the ``db``
fixture (tests/conftest.py), each test on its own copy."""
