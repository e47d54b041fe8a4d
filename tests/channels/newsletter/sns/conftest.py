"""Fixtures of the SNS tests: a signing key and certificate, the AWS stand-in, SES as the
newsletter's transport and the stand-in's certificate authority trusted."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.cache import cache

from tests.channels.conftest import tls_context
from tests.channels.newsletter.sns.stand_in import SES, TOPIC, AwsStandIn, mail_transport


@pytest.fixture(scope="session")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def signing_certificate_pem(signing_key) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signing_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(signing_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def aws(certificate_authority, signing_certificate_pem):
    tls = tls_context(certificate_authority, "localhost")
    with AwsStandIn(tls, signing_certificate_pem) as running:
        yield running


@pytest.fixture(autouse=True)
def ses_is_the_transport():
    with mail_transport(SES):
        yield


@pytest.fixture(autouse=True)
def trust_the_stand_in(settings, certificate_authority, tmp_path):
    bundle = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(bundle))
    settings.HUB_SES_SNS_CA_BUNDLE = str(bundle)
    settings.HUB_SES_SNS_CERT_HOST_PATTERN = r"^localhost$"
    settings.HUB_SES_SNS_TOPIC_ARNS = [TOPIC]
    cache.clear()
