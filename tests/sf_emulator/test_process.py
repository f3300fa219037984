"""Starting the emulator: the subprocess helper, restarts, the manage.py command."""

import subprocess
import sys

import pytest

from sf_emulator.process import PROJECT_ROOT, EmulatorProcess, EmulatorStartError


def test_restart_reuses_certificates_and_data(tmp_path):
    with EmulatorProcess(tmp_path) as first:
        ca_before = (tmp_path / "ca.pem").read_bytes()
        sf = first.control.simple_salesforce(
            {"username": "admin@demo-org.example", "password": "demo-password"}
        )
        lead_id = sf.Lead.create({"LastName": "Kept", "Company": "C"})["id"]

    with EmulatorProcess(tmp_path) as second:
        sf = second.control.simple_salesforce(
            {"username": "admin@demo-org.example", "password": "demo-password"}
        )
        assert sf.Lead.get(lead_id)["LastName"] == "Kept"
    assert (tmp_path / "ca.pem").read_bytes() == ca_before
    assert {"ca.pem", "server.pem", "server-key.pem"} <= {
        p.name for p in tmp_path.iterdir()
    }


def test_demo_org_exists_on_first_start(emulator):
    token = emulator.control.password_token("admin@demo-org.example", "demo-password")
    assert token["instance_url"] == emulator.base_url


def test_request_log_omits_query_strings(emulator, token):
    emulator.control.session.get(
        f"{emulator.base_url}/services/oauth2/userinfo",
        params={"oauth_token": token["access_token"]},
    )
    assert "GET /services/oauth2/userinfo 200" in emulator.output
    assert token["access_token"] not in emulator.output


def test_non_loopback_host_fails_with_output(tmp_path):
    process = EmulatorProcess(
        tmp_path, extra_args=["--host", "192.0.2.1"], startup_timeout=10
    )
    with pytest.raises(EmulatorStartError, match="only listens on loopback"):
        process.start()


def test_management_command_starts(tmp_path):
    command = [
        sys.executable,
        "manage.py",
        "sf_emulator",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path),
    ]
    # Logs go to stderr; the ready line is the first line on stdout.
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, no user input
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
    finally:
        process.terminate()
        process.wait(10)
    assert line.startswith("Salesforce emulator listening on https://localhost:")
    assert f"(CA bundle: {tmp_path / 'ca.pem'})" in line
