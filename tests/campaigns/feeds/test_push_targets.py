"""What a feed's push settings may be: parse_push_target, as the admin form's clean() uses it."""

from __future__ import annotations

import asyncssh
import pytest
from django.core.exceptions import ValidationError

from campaigns.feeds.push import PushTarget, parse_push_target

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(scope="module")
def host_key():
    return asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()


@pytest.fixture(scope="module")
def client_key():
    return asyncssh.generate_private_key("ssh-ed25519")


def errors_of(url, **fields):
    with pytest.raises(ValidationError) as failure:
        parse_push_target(url, **fields)
    return failure.value.message_dict


def test_s3_target_with_a_prefix():
    target = parse_push_target(" s3://receiver-feeds/de/google/ ")

    assert target == PushTarget(scheme="s3", bucket="receiver-feeds", prefix="de/google/")
    assert target.location("feed.xml") == "s3://receiver-feeds/de/google/feed.xml"


def test_s3_target_without_a_prefix_writes_at_the_top():
    target = parse_push_target("s3://receiver-feeds")

    assert target.prefix == ""
    assert target.location("feed.xml") == "s3://receiver-feeds/feed.xml"


def test_s3_target_with_its_own_access_key():
    secret = "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    target = parse_push_target("s3://receiver-feeds", secret=secret)

    assert target.secret == secret
    assert "wJalr" not in repr(target)


def test_sftp_target_with_port_directory_and_password(host_key):
    target = parse_push_target(
        "sftp://feeds%40shop@sftp.example.com:2222/upload/in/",
        host_key=host_key + " root@sftp\n",
        secret="s3cret pass\n",
    )

    assert target.host == "sftp.example.com"
    assert target.port == 2222
    assert target.username == "feeds@shop"
    assert target.directory == "/upload/in"
    assert target.host_keys == (host_key,)
    assert target.secret == "s3cret pass"
    assert "s3cret" not in repr(target)
    assert (
        target.location("feed.xml")
        == "sftp://feeds%40shop@sftp.example.com:2222/upload/in/feed.xml"
    )


def test_sftp_directory_below_tilde_is_relative_to_the_login_directory(host_key):
    target = parse_push_target("sftp://u@h/~/feeds", host_key=host_key, secret="pw")

    assert target.directory == "feeds"
    assert target.location("a.xml") == "sftp://u@h:22/~/feeds/a.xml"


def test_sftp_host_keys_from_known_hosts_lines(host_key):
    other = asyncssh.generate_private_key("ssh-rsa", key_size=2048).export_public_key().decode()
    known_hosts = f"# from ssh-keyscan\n[h]:2222 {host_key}\nh,10.0.0.1 {other}"

    target = parse_push_target("sftp://u@h:2222/x", host_key=known_hosts, secret="pw")

    assert target.host_keys == (host_key, other.strip())


def test_sftp_private_key_as_secret(host_key, client_key):
    private = client_key.export_private_key().decode()

    target = parse_push_target("sftp://u@h/x", host_key=host_key, secret=private)

    assert target.secret == private


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Use s3://bucket/prefix or sftp://"),
        ("ftp://h/x", "Use s3://bucket/prefix or sftp://"),
        ("https://receiver.example.com/upload", "Use s3://bucket/prefix or sftp://"),
        ("s3://", "Name the bucket"),
        ("s3:///prefix", "Name the bucket"),
        ("s3://Receiver_Feeds/x", "is not an S3 bucket name"),
        ("s3://key@bucket/x", "no user, password or port"),
        ("s3://bucket/x?region=eu", "no ?query"),
    ],
)
def test_bad_s3_address_is_refused_on_push_url(url, message):
    assert message in " ".join(errors_of(url)["push_url"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sftp://sftp.example.com/upload", "Name the user"),
        ("sftp://u@/upload", "Name the server"),
        ("sftp://u@sftp.example.com", "Name the directory"),
        ("sftp://u:hunter2@sftp.example.com/upload", "Do not put the password in the address"),
        ("sftp://u@sftp.example.com:99999/upload", "The port must be a number"),
        ("sftp://u@sftp.example.com:port/upload", "The port must be a number"),
        ("sftp://u@sftp.example.com/upload#x", "no ?query or #fragment"),
    ],
)
def test_bad_sftp_address_is_refused_on_push_url(url, message, host_key):
    assert message in " ".join(errors_of(url, host_key=host_key, secret="pw")["push_url"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Pin the server's SSH host key"),
        ("  \n", "Pin the server's SSH host key"),
        ("ssh-ed25519 AAAAnotakey", "Not an SSH public key"),
        ("SHA256:g+pIUKrV64ioKLKIXGAThj0Me9hfR/oNZ0crNEDx0uU", "This is a fingerprint"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\n...", "This is a private key"),
        ("@cert-authority *.example.com ssh-ed25519 AAAA", "Not an SSH public key"),
    ],
)
def test_sftp_without_a_usable_pinned_host_key_is_refused(text, message):
    errors = errors_of("sftp://u@h/x", host_key=text, secret="pw")

    assert list(errors) == ["push_host_key"]
    assert message in errors["push_host_key"][0]


def test_s3_refuses_a_host_key(host_key):
    errors = errors_of("s3://bucket/x", host_key=host_key)

    assert errors == {"push_host_key": ["A host key is only used for SFTP; leave it empty for S3."]}


def test_sftp_secret_that_is_neither_key_nor_password_is_refused(host_key, client_key):
    broken = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot base64\n-----END OPENSSH PRIVATE KEY-----"
    locked = client_key.export_private_key("pkcs8-pem", passphrase="x").decode()
    public = client_key.export_public_key().decode()
    cases = {
        "": "Give the password or the private key",
        "\n": "Give the password or the private key",
        "line one\nline two": "Neither a private key",
        broken: "This private key cannot be read",
        locked: "protected by a passphrase",
        public: "This is a public key",
    }

    for secret, message in cases.items():
        errors = errors_of("sftp://u@h/x", host_key=host_key, secret=secret)

        assert list(errors) == ["push_secret"], secret
        assert message in errors["push_secret"][0], secret


@pytest.mark.parametrize(
    "secret",
    [
        "just-a-password",
        "AKIAIOSFODNN7EXAMPLE",
        "akia0000000000000000:x",
        "AKIAIOSFODNN7EXAMPLE:a b",
    ],
)
def test_s3_secret_must_be_an_access_key_pair(secret):
    errors = errors_of("s3://bucket/x", secret=secret)

    assert list(errors) == ["push_secret"]
    assert "ACCESS_KEY_ID:SECRET_ACCESS_KEY" in errors["push_secret"][0]


def test_every_field_at_fault_is_named_at_once():
    errors = errors_of("sftp://sftp.example.com/upload", host_key="", secret="")

    assert sorted(errors) == ["push_host_key", "push_secret", "push_url"]
