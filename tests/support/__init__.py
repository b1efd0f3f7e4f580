"""What one area of the tests needs besides fixtures: its clients, servers,
fakes and data. Fixtures live in tests/conftest.py; tests/helpers.py and
tests/operations.py hold what every area shares."""
