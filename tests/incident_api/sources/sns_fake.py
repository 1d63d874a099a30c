"""A stand-in for Amazon SNS's HTTPS side: a throw-away certificate authority, an HTTPS
server on 127.0.0.1 serving the signing certificate and answering SubscribeURLs, and a signer
that signs messages as SNS does."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from candor_incident_api.ingest.sns import string_to_sign
from candor_incident_api.ingest.sources.cloudwatch import SnsMessage

CERT_PATH = "/SimpleNotificationService-test.pem"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: tuple[str, rsa.RSAPrivateKey] | None = None,
    ca: bool = False,
    ip: str | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer if issuer else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
            critical=False,
        )
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class FakeSns:
    """The HTTPS server and the signing key; ``confirmed`` lists the SubscribeURLs visited."""

    def __init__(self) -> None:
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ca = _certificate("Candor test CA", ca_key, ca=True)
        tls_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        tls_cert = _certificate(
            "127.0.0.1", tls_key, issuer=("Candor test CA", ca_key), ip="127.0.0.1"
        )
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signing_cert = _certificate("sns.test.amazonaws.com", self.signing_key)
        self.confirmed: list[str] = []
        self._tmp = tempfile.TemporaryDirectory()
        cert_file = Path(self._tmp.name) / "tls.pem"
        cert_file.write_bytes(
            _pem(tls_cert)
            + tls_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == CERT_PATH:
                    body = _pem(fake.signing_cert)
                elif self.path.startswith("/?Action=ConfirmSubscription"):
                    fake.confirmed.append(self.path)
                    body = b"<ConfirmSubscriptionResponse/>"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.base = f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def cert_url(self) -> str:
        """Where the signing certificate is served."""
        return self.base + CERT_PATH

    def subscribe_url(self, token: str) -> str:
        """A SubscribeURL on this server."""
        topic = "arn:aws:sns:us-west-2:123456789012:MyTopic"
        return f"{self.base}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}"

    def client(self) -> httpx.AsyncClient:
        """An HTTP client trusting the test CA (Candor's verifier gets this factory)."""
        context = ssl.create_default_context(cadata=_pem(self.ca).decode())
        return httpx.AsyncClient(verify=context, timeout=10)

    def sign(self, body: dict[str, Any], *, version: str = "1") -> dict[str, Any]:
        """``body`` with SignatureVersion and Signature as SNS would set them."""
        signed = {**body, "SignatureVersion": version, "Signature": "unsigned"}
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        data = string_to_sign(SnsMessage.model_validate(signed))
        signature = self.signing_key.sign(data, padding.PKCS1v15(), algorithm)
        signed["Signature"] = base64.b64encode(signature).decode()
        return signed

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._tmp.cleanup()
