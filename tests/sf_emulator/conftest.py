"""Fixtures for the emulator's own tests; `emulator` comes from tests/conftest.py."""

import pytest
import requests

from sf_emulator.client import trusting_session


@pytest.fixture
def org(emulator) -> dict:
    """A fresh org per test, so that records and faults never leak between tests."""
    return emulator.control.create_org(name="Test Org")


@pytest.fixture
def token(emulator, org) -> dict:
    return emulator.control.password_token(org["username"], org["password"])


@pytest.fixture
def sf(emulator, org):
    return emulator.control.simple_salesforce(org)


@pytest.fixture
def http(emulator) -> requests.Session:
    return trusting_session(emulator.ca_path)


class RestClient:
    """Raw REST calls with a bearer token, for checking exact bodies and headers."""

    def __init__(self, session: requests.Session, token: dict, version: str = "62.0"):
        self.session = session
        self.token = token
        self.base = f"{token['instance_url']}/services/data/v{version}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token['access_token']}"}
        headers.update(kwargs.pop("headers", {}))
        url = path if path.startswith("https://") else f"{self.base}{path}"
        return self.session.request(method, url, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(http, token) -> RestClient:
    return RestClient(http, token)
