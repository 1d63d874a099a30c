"""Checking that an SNS message really comes from Amazon SNS.

As https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html says: the
certificate is fetched over HTTPS from ``SigningCertURL``, whose host must be Amazon SNS's
(``sns.<region>.amazonaws.com``; the pattern is the setting ``CANDOR_SNS_CERT_HOST_PATTERN``);
the string to sign is the message's fields, each as ``name\\nvalue\\n``, in byte order
(``Message``, ``MessageId``, ``Subject`` if present, ``Timestamp``, ``TopicArn``, ``Type``
for notifications; ``Message``, ``MessageId``, ``SubscribeURL``, ``Timestamp``, ``Token``,
``TopicArn``, ``Type`` for (un)subscribe confirmations); ``SignatureVersion`` 1 signs it
with SHA1withRSA, 2 with SHA256withRSA.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from candor_incident_api.errors import ApiError
from candor_incident_api.ingest.sources.cloudwatch import SnsMessage

DEFAULT_CERT_HOST_PATTERN = r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$"

_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)


def string_to_sign(message: SnsMessage) -> bytes:
    """The canonical string SNS signed for ``message``."""
    names = _NOTIFICATION_FIELDS if message.Type == "Notification" else _CONFIRMATION_FIELDS
    parts: list[str] = []
    for name in names:
        value = getattr(message, name)
        if value is None:
            if name == "Subject":
                continue
            raise ApiError(
                422, "Invalid SNS message", f"body.{name}: required for a {message.Type} message."
            )
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode()


def _default_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=10.0, follow_redirects=False)


class SnsVerifier:
    """Verifies SNS signatures and confirms subscriptions, trusting only SNS's hosts.

    ``client_factory`` makes the HTTP client used for certificates and SubscribeURLs (tests
    give one that trusts their own certificate authority). Certificates are remembered by
    URL, so a busy topic costs one fetch.
    """

    def __init__(
        self,
        *,
        host_pattern: str = DEFAULT_CERT_HOST_PATTERN,
        client_factory: Callable[[], httpx.AsyncClient] = _default_client,
    ) -> None:
        self.host_pattern = re.compile(host_pattern)
        self.client_factory = client_factory
        self._keys: dict[str, rsa.RSAPublicKey] = {}

    def trusted(self, url: str) -> bool:
        """Whether ``url`` is HTTPS on a host of Amazon SNS (as the pattern says)."""
        parts = urlsplit(url)
        return parts.scheme == "https" and bool(self.host_pattern.fullmatch(parts.hostname or ""))

    async def _public_key(self, url: str) -> rsa.RSAPublicKey:
        key = self._keys.get(url)
        if key is not None:
            return key
        try:
            async with self.client_factory() as client:
                response = await client.get(url)
        except httpx.HTTPError as exc:
            raise ApiError(
                503,
                "Service unavailable",
                f"The SNS signing certificate could not be fetched ({type(exc).__name__}); "
                "nothing was recorded. SNS retries.",
                headers={"Retry-After": "5"},
            ) from None
        if response.status_code != 200:
            raise _refused(f"SigningCertURL answered {response.status_code}")
        try:
            certificate = x509.load_pem_x509_certificate(response.content)
        except ValueError:
            raise _refused("SigningCertURL did not give a PEM certificate") from None
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise _refused("the signing certificate does not hold an RSA key")
        if len(self._keys) >= 64:
            self._keys.clear()
        self._keys[url] = public_key
        return public_key

    async def verify(self, message: SnsMessage) -> None:
        """Return if SNS signed ``message``; raise 401 (or 503: certificate unreachable)."""
        if not self.trusted(message.SigningCertURL):
            raise _refused(
                "SigningCertURL must be an https:// URL on Amazon SNS "
                f"(host matching {self.host_pattern.pattern})"
            )
        try:
            signature = base64.b64decode(message.Signature, validate=True)
        except (binascii.Error, ValueError):
            raise _refused("Signature is not base64") from None
        algorithm: hashes.HashAlgorithm = (
            # SignatureVersion 1 is SHA1withRSA: SNS's choice, not ours.
            hashes.SHA1() if message.SignatureVersion == "1" else hashes.SHA256()  # noqa: S303
        )
        key = await self._public_key(message.SigningCertURL)
        try:
            key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise _refused("the SNS signature does not match the message") from None

    async def confirm(self, subscribe_url: str) -> None:
        """Visit a SubscribeURL (which must be SNS's) to confirm the subscription."""
        if not self.trusted(subscribe_url):
            raise ApiError(
                422,
                "Untrusted SubscribeURL",
                "The SubscribeURL is not an https:// URL on Amazon SNS; it was not visited.",
            )
        try:
            async with self.client_factory() as client:
                response = await client.get(subscribe_url)
        except httpx.HTTPError as exc:
            raise ApiError(
                502, "Bad gateway", f"Amazon SNS could not be reached ({type(exc).__name__})."
            ) from None
        if response.status_code != 200:
            raise ApiError(
                502,
                "Bad gateway",
                f"Amazon SNS answered {response.status_code} to the confirmation; the token "
                "may have expired (SNS resends a confirmation when you subscribe again).",
            )


def _refused(why: str) -> ApiError:
    return ApiError(401, "Unauthorized", f"Not a genuine SNS message: {why}.")
