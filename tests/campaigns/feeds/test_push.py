"""Pushing feed files to a receiver's SFTP server (a real asyncssh server) and S3 (moto)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
import time
import urllib.request
import uuid

import boto3
import pytest

from campaigns.feeds.push import PushFailed, PushTarget, parse_push_target, push_files

from .sftp_server import PASSWORD, EventLoopThread, SFTPServer, asyncssh

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def short_timeout(settings):
    settings.HUB_FEED_PUSH_TIMEOUT = 5


@pytest.fixture(scope="module")
def server_loop():
    loop = EventLoopThread()
    yield loop
    loop.stop()


@pytest.fixture(scope="module")
def keys():
    return {
        "host": asyncssh.generate_private_key("ssh-ed25519"),
        "impostor": asyncssh.generate_private_key("ssh-ed25519"),
        "client": asyncssh.generate_private_key("ssh-ed25519"),
    }


@pytest.fixture
def sftp(server_loop, keys, tmp_path):
    """A receiver's SFTP server whose "/" is ``tmp_path/root``, with an /upload directory."""
    root = tmp_path / "root"
    (root / "upload").mkdir(parents=True)
    server = SFTPServer(server_loop, root, keys["host"], keys["client"])
    yield server
    server.close()


def sftp_target(server, path="/upload", *, host_key=None, secret=PASSWORD):
    return parse_push_target(
        server.url(path), host_key=host_key or server.host_key_line, secret=secret
    )


def feed_file(tmp_path, size=3_000_000, seed=1):
    path = tmp_path / f"feed-{seed}.bin"
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def listing(server, directory="upload"):
    return sorted(entry.name for entry in (server.root / directory).iterdir())


# --- SFTP ------------------------------------------------------------------------------------


def test_sftp_push_writes_the_file_under_its_name(sftp, tmp_path):
    local = feed_file(tmp_path)

    written = push_files(sftp_target(sftp), [("feed.xml", local)])

    assert written == [f"sftp://receiver@127.0.0.1:{sftp.port}/upload/feed.xml"]
    assert (sftp.root / "upload" / "feed.xml").read_bytes() == local.read_bytes()
    assert listing(sftp) == ["feed.xml"]


def test_sftp_receiver_sees_only_the_old_file_until_the_new_one_is_complete(sftp, tmp_path):
    final = sftp.root / "upload" / "feed.xml"
    final.write_bytes(b"<old feed/>")
    seen = []
    sftp.on_write = lambda name, offset: seen.append((listing(sftp), final.read_bytes()))
    local = feed_file(tmp_path)

    push_files(sftp_target(sftp), [("feed.xml", local)])

    assert len(seen) > 1
    for names, content in seen:
        assert content == b"<old feed/>"
        assert len(names) == 2
        assert names[0].startswith(".feed.xml.tmp-")
    assert final.read_bytes() == local.read_bytes()


def test_sftp_writes_a_temporary_name_and_renames_it_last(sftp, tmp_path):
    push_files(sftp_target(sftp), [("feed.xml", feed_file(tmp_path, size=100))])

    temporary = sftp.journal[0][1]
    assert temporary.startswith("/upload/.feed.xml.tmp-")
    assert sftp.journal == [
        ("open", temporary),
        ("close", temporary),
        ("posix_rename", temporary, "/upload/feed.xml"),
    ]


def test_sftp_without_posix_rename_removes_the_old_file_then_renames(sftp, tmp_path, monkeypatch):
    handler = asyncssh.sftp.SFTPServerHandler
    monkeypatch.setattr(
        handler,
        "_extensions",
        [ext for ext in handler._extensions if ext[0] != b"posix-rename@openssh.com"],
    )
    (sftp.root / "upload" / "feed.xml").write_bytes(b"<old feed/>")
    local = feed_file(tmp_path, size=100)

    push_files(sftp_target(sftp), [("feed.xml", local)])

    temporary = sftp.journal[0][1]
    assert sftp.journal[-3:] == [
        ("rename", temporary, "/upload/feed.xml"),
        ("remove", "/upload/feed.xml"),
        ("rename", temporary, "/upload/feed.xml"),
    ]
    assert (sftp.root / "upload" / "feed.xml").read_bytes() == local.read_bytes()


def test_sftp_logs_in_with_a_private_key(sftp, keys, tmp_path):
    secret = keys["client"].export_private_key().decode()
    local = feed_file(tmp_path, size=100)

    push_files(sftp_target(sftp, secret=secret), [("feed.xml", local)])

    assert (sftp.root / "upload" / "feed.xml").read_bytes() == local.read_bytes()


def test_sftp_path_below_tilde_is_relative_to_the_login_directory(sftp, tmp_path):
    written = push_files(sftp_target(sftp, "/~/upload"), [("a.json", feed_file(tmp_path, 10))])

    assert written == [f"sftp://receiver@127.0.0.1:{sftp.port}/~/upload/a.json"]
    assert listing(sftp) == ["a.json"]


def test_sftp_wrong_password_fails_with_authentication_refused(sftp, tmp_path):
    target = sftp_target(sftp, secret="not the password")

    with pytest.raises(PushFailed, match="Authentication refused") as failure:
        push_files(target, [("feed.xml", feed_file(tmp_path, size=100))])

    assert "receiver" in str(failure.value)
    assert sftp.journal == []


def test_sftp_server_with_another_host_key_gets_nothing(sftp, keys, tmp_path):
    pinned = keys["impostor"].export_public_key().decode()
    target = sftp_target(sftp, host_key=pinned)

    with pytest.raises(PushFailed, match="Host key mismatch") as failure:
        push_files(target, [("feed.xml", feed_file(tmp_path, size=100))])

    assert failure.value.written == []
    assert sftp.journal == []
    assert listing(sftp) == []
    assert sftp.logins == []  # the password never reached the impostor


def test_sftp_connection_refused(tmp_path, keys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    host_key = keys["host"].export_public_key().decode()
    target = parse_push_target(
        f"sftp://receiver@127.0.0.1:{port}/upload", host_key=host_key, secret=PASSWORD
    )

    with pytest.raises(PushFailed, match=f"Connection refused by 127.0.0.1:{port}"):
        push_files(target, [("feed.xml", feed_file(tmp_path, size=100))])


def test_sftp_server_that_never_speaks_times_out(tmp_path, keys, settings):
    settings.HUB_FEED_PUSH_TIMEOUT = 0.5
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel completes the handshake; nobody ever answers
    port = silent.getsockname()[1]
    host_key = keys["host"].export_public_key().decode()
    target = parse_push_target(
        f"sftp://receiver@127.0.0.1:{port}/upload", host_key=host_key, secret=PASSWORD
    )
    started = time.monotonic()

    with silent, pytest.raises(PushFailed, match=r"Timed out after 0\.5 s while connecting"):
        push_files(target, [("feed.xml", feed_file(tmp_path, size=100))])

    assert time.monotonic() - started < 3


def test_sftp_server_that_stalls_mid_upload_times_out(sftp, server_loop, tmp_path, settings):
    settings.HUB_FEED_PUSH_TIMEOUT = 0.5
    release = server_loop.run(_make_event())
    sftp.on_write = lambda name, offset: release.wait()
    started = time.monotonic()

    try:
        with pytest.raises(PushFailed, match=r"Timed out after 0\.5 s while uploading feed\.xml"):
            push_files(sftp_target(sftp), [("feed.xml", feed_file(tmp_path))])
    finally:
        server_loop.loop.call_soon_threadsafe(release.set)

    assert time.monotonic() - started < 5
    assert "feed.xml" not in listing(sftp)


async def _make_event():
    return asyncio.Event()


def test_sftp_failure_mid_upload_leaves_no_temporary_file(sftp, tmp_path):
    final = sftp.root / "upload" / "feed.xml"
    final.write_bytes(b"<old feed/>")

    def disk_full(name, offset):
        if offset > 0:
            raise asyncssh.SFTPFailure("No space left on device")

    sftp.on_write = disk_full

    with pytest.raises(PushFailed, match="No space left on device"):
        push_files(sftp_target(sftp), [("feed.xml", feed_file(tmp_path))])

    assert listing(sftp) == ["feed.xml"]
    assert final.read_bytes() == b"<old feed/>"


def test_sftp_push_removes_temporary_files_its_broken_predecessors_left(sftp, tmp_path):
    upload = sftp.root / "upload"
    hour_ago = time.time() - 3700
    for leftover in (
        ".feed.xml.tmp-0123456789ab",
        ".feed.xml.tmp-aaaaaaaaaaaa",
        ".a.xml.tmp-0123456789ab",
    ):
        (upload / leftover).write_bytes(b"<half")
    os.utime(upload / ".feed.xml.tmp-0123456789ab", (hour_ago, hour_ago))
    os.utime(upload / ".a.xml.tmp-0123456789ab", (hour_ago, hour_ago))

    push_files(sftp_target(sftp), [("feed.xml", feed_file(tmp_path, 10))])

    # Another feed's leftover and a temporary file still being written stay.
    assert listing(sftp) == [".a.xml.tmp-0123456789ab", ".feed.xml.tmp-aaaaaaaaaaaa", "feed.xml"]


def test_sftp_missing_directory_is_named(sftp, tmp_path):
    with pytest.raises(PushFailed, match="No such directory") as failure:
        push_files(sftp_target(sftp, "/missing"), [("feed.xml", feed_file(tmp_path, 10))])

    assert "/missing" in str(failure.value)


def test_sftp_access_denied(sftp, tmp_path):
    def refuse(name):
        raise asyncssh.SFTPPermissionDenied("Permission denied")

    sftp.on_open = refuse

    with pytest.raises(PushFailed, match=r"Access denied by the server while uploading feed\.xml"):
        push_files(sftp_target(sftp), [("feed.xml", feed_file(tmp_path, 10))])


def test_sftp_failure_reports_the_files_written_before(sftp, tmp_path):
    def refuse_second(name):
        if "second" in name:
            raise asyncssh.SFTPPermissionDenied("Permission denied")

    sftp.on_open = refuse_second
    files = [("first.xml", feed_file(tmp_path, 10, 1)), ("second.xml", feed_file(tmp_path, 10, 2))]

    with pytest.raises(PushFailed) as failure:
        push_files(sftp_target(sftp), files)

    assert failure.value.written == [f"sftp://receiver@127.0.0.1:{sftp.port}/upload/first.xml"]
    assert listing(sftp) == ["first.xml"]


# --- S3, through moto's server ---------------------------------------------------------------


@pytest.fixture
def s3(moto_url, settings, monkeypatch):
    """A fresh bucket on moto's S3, with the hub's AWS settings pointing there."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.HUB_FEED_PUSH_S3_ENDPOINT_URL = moto_url
    settings.HUB_FEED_PUSH_S3_REGION = "eu-central-1"
    client = boto3.client("s3", endpoint_url=moto_url, region_name="eu-central-1")
    client.bucket = f"receiver-{uuid.uuid4().hex[:12]}"
    client.create_bucket(
        Bucket=client.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    return client


@pytest.fixture
def iam_enforced(moto_url):
    """``with iam_enforced():`` moto checks every request's credentials and IAM policies.

    moto keeps that switch for the whole process, so it is turned off again in any case.
    """

    def reset_auth(count: str) -> None:
        request = urllib.request.Request(  # noqa: S310 (moto's own address)
            f"{moto_url}/moto-api/reset-auth",
            data=count.encode(),
            headers={"Content-Type": "text/plain"},
            method="POST",
        )
        with urllib.request.urlopen(request):  # noqa: S310
            pass

    @contextlib.contextmanager
    def enforced():
        reset_auth("0")
        try:
            yield
        finally:
            reset_auth("inf")

    yield enforced
    reset_auth("inf")


def iam_key(moto_url, actions):
    """An access key of a new IAM user allowed only ``actions`` on S3, as push_secret."""
    iam = boto3.client("iam", endpoint_url=moto_url, region_name="us-east-1")
    user = f"pusher-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName="feeds", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return f"{key['AccessKeyId']}:{key['SecretAccessKey']}"


def test_s3_push_writes_each_object_with_its_content_type(s3, tmp_path):
    target = parse_push_target(f"s3://{s3.bucket}/feeds/de/")
    xml, listings = feed_file(tmp_path, 2000, 1), feed_file(tmp_path, 300, 2)

    written = push_files(target, [("feed.xml", xml), ("listings.json", listings)])

    assert written == [
        f"s3://{s3.bucket}/feeds/de/feed.xml",
        f"s3://{s3.bucket}/feeds/de/listings.json",
    ]
    stored = s3.get_object(Bucket=s3.bucket, Key="feeds/de/feed.xml")
    assert stored["Body"].read() == xml.read_bytes()
    assert stored["ContentType"] == "application/xml"
    stored = s3.get_object(Bucket=s3.bucket, Key="feeds/de/listings.json")
    assert stored["Body"].read() == listings.read_bytes()
    assert stored["ContentType"] == "application/json"


def test_s3_media_type_given_by_the_caller_wins(s3, tmp_path):
    target = parse_push_target(f"s3://{s3.bucket}")
    media_types = {"products.txt": "text/tab-separated-values; charset=utf-8"}

    push_files(target, [("products.txt", feed_file(tmp_path, 10))], media_types=media_types)

    stored = s3.head_object(Bucket=s3.bucket, Key="products.txt")
    assert stored["ContentType"] == "text/tab-separated-values; charset=utf-8"


def test_s3_missing_bucket_is_named(s3, tmp_path):
    target = parse_push_target("s3://no-such-bucket-here/feeds")

    with pytest.raises(PushFailed, match="The bucket no-such-bucket-here does not exist"):
        push_files(target, [("feed.xml", feed_file(tmp_path, 10))])


def test_s3_key_of_the_target_is_used_and_may_be_refused(s3, moto_url, iam_enforced, tmp_path):
    secret = iam_key(moto_url, ["s3:GetObject"])
    target = parse_push_target(f"s3://{s3.bucket}/feeds", secret=secret)

    with iam_enforced(), pytest.raises(PushFailed, match="Access denied") as failure:
        push_files(target, [("feed.xml", feed_file(tmp_path, 10))])

    assert f"s3://{s3.bucket}/feeds/feed.xml" in str(failure.value)
    assert failure.value.written == []


def test_s3_key_of_the_target_writes_where_allowed(s3, moto_url, iam_enforced, tmp_path):
    secret = iam_key(moto_url, ["s3:PutObject"])
    target = parse_push_target(f"s3://{s3.bucket}/feeds", secret=secret)
    local = feed_file(tmp_path, 10)

    with iam_enforced():
        push_files(target, [("feed.xml", local)])

    assert (
        s3.get_object(Bucket=s3.bucket, Key="feeds/feed.xml")["Body"].read() == local.read_bytes()
    )


def test_s3_unknown_access_key_is_an_authentication_failure(s3, iam_enforced, tmp_path):
    target = parse_push_target(f"s3://{s3.bucket}", secret="AKIAUNKNOWN000000000:secret")

    with iam_enforced(), pytest.raises(PushFailed, match="Authentication refused by S3"):
        push_files(target, [("feed.xml", feed_file(tmp_path, 10))])


def test_sftp_target_built_without_pinned_keys_trusts_no_server(sftp, tmp_path):
    target = PushTarget(
        scheme="sftp",
        host="127.0.0.1",
        port=sftp.port,
        username="receiver",
        directory="/upload",
        secret=PASSWORD,
    )

    with pytest.raises(PushFailed, match="Host key mismatch"):
        push_files(target, [("feed.xml", feed_file(tmp_path, 10))])

    assert sftp.logins == []


def test_missing_local_file_fails_before_connecting(tmp_path):
    target = PushTarget(scheme="s3", bucket="never-contacted")

    with pytest.raises(PushFailed, match="The file to push is missing"):
        push_files(target, [("feed.xml", tmp_path / "gone.xml")])


@pytest.mark.parametrize("name", ["", "../feed.xml", "sub/feed.xml", ".feed.xml", "feed\n.xml"])
def test_remote_name_must_be_a_plain_file_name(name, tmp_path):
    target = PushTarget(scheme="s3", bucket="never-contacted")

    with pytest.raises(ValueError, match="Not a plain file name"):
        push_files(target, [(name, feed_file(tmp_path, 10))])
