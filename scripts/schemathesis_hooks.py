"""Schemathesis hooks for scripts/test.sh: every few requests a new user.

The worker limits each user (and each client address) to a budget per minute; one
token for the whole run would leave most operations answering 429 and untested. So
requests are sent as a fresh user (an HS256 token minted here with the test stack's
secret, a new `sub`) from a fresh `cf-connecting-ip` every REQUESTS_PER_USER requests.
Only active when TORA_FUZZ_JWT_SECRET is set (the admin run sends the admin secret).
"""

import base64
import hashlib
import hmac
import itertools
import json
import os
import time
import uuid

import schemathesis

REQUESTS_PER_USER = 40

SECRET = os.environ.get("TORA_FUZZ_JWT_SECRET")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(subject: str) -> str:
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "iss": os.environ["TORA_FUZZ_JWT_ISSUER"],
        "aud": os.environ["TORA_FUZZ_JWT_AUDIENCE"],
        "sub": subject,
        "iat": now,
        "exp": now + 1800,
    }
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


if SECRET:
    _requests = itertools.count()

    @schemathesis.auth(refresh_interval=None, retry_on=[])
    class FreshUserEveryFewRequests:
        def __init__(self):
            self.user = None

        def get(self, case, context):
            if next(_requests) % REQUESTS_PER_USER == 0 or self.user is None:
                subject = f"schemathesis-{uuid.uuid4()}"
                address = "10.{}.{}.{}".format(*uuid.uuid4().bytes[:3])
                self.user = (_token(subject), address)
            return self.user

        def set(self, case, data, context):
            token, address = data
            case.headers = case.headers or {}
            case.headers["authorization"] = f"Bearer {token}"
            case.headers["cf-connecting-ip"] = address
