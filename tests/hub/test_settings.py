import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "x7!kq2-production-secret-for-tests-9f8e7d6c5b4a3z2y1w0v-abcdefgh"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "HUB_MAIL_TRANSPORT",
            "HUB_SES_SNS_TOPIC_ARNS",
        }
    }
    environment.update(DJANGO_SETTINGS_MODULE="hub.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "hub.example.com", "DEBUG": "true"},
            "DEBUG must be off in production",
        ),
        ({"ALLOWED_HOSTS": "hub.example.com"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "hub.example.com"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must list"),
        ({"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must list"),
        (
            {
                "SECRET_KEY": GOOD_SECRET,
                "ALLOWED_HOSTS": "hub.example.com",
                "HUB_MAIL_TRANSPORT": "ses",
            },
            "HUB_SES_SNS_TOPIC_ARNS must list",
        ),
    ],
    ids=["debug", "default-secret", "short-secret", "open-hosts", "no-hosts", "ses-any-topic"],
)
def test_production_settings_refuse_to_start_on_unsafe_values(env, message):
    result = manage("check", **env)

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="hub.example.com",
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_with_ses_and_its_topics_passes_the_deployment_checklist():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="hub.example.com",
        HUB_MAIL_TRANSPORT="ses",
        HUB_SES_SNS_TOPIC_ARNS="arn:aws:sns:eu-central-1:123456789012:ses-feedback",
    )

    assert result.returncode == 0, result.stderr


def test_unknown_storage_backend_is_refused_by_name():
    result = manage(
        "check",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="hub.example.com",
        STORAGE_BACKEND="ftp",
    )

    assert result.returncode != 0
    assert "STORAGE_BACKEND='ftp' is not supported" in result.stderr
