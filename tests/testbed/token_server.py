#!/usr/bin/python3
"""Minimal Docker/OCI registry token server for the Bulkhead test bed.

Implements the "Docker Registry v2 Bearer token" protocol as understood by
distribution (docker-registry) 2.8:

  GET  /token?service=S&scope=T:NAME:ACTIONS[&scope=...]   (HTTP Basic credentials)
  POST /token  grant_type=password&username=..&password=..&service=..&scope=..

Valid credentials get {"token": JWT, "access_token": JWT, "expires_in", "issued_at"}.
The JWT is RS256-signed; its header carries the signing certificate in `x5c`
(standard base64 DER; the registry verifies it against its `rootcertbundle`),
and its claims are iss/sub/aud/exp/nbf/iat/jti plus `access` with every action
requested in the scopes. Missing or wrong credentials get 401.

  GET  /healthz   -> 200 "ok"

Only stdlib + python3-jwt + python3-cryptography (Debian packages).
Run with /usr/bin/python3.
"""

import argparse
import base64
import binascii
import hmac
import json
import sys
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def load_pem_certs(path):
    data = open(path, "rb").read()
    certs = []
    marker = b"-----END CERTIFICATE-----"
    for chunk in data.split(marker):
        if b"-----BEGIN CERTIFICATE-----" in chunk:
            certs.append(x509.load_pem_x509_certificate(chunk + marker))
    return certs


class Config:
    pass


CFG = Config()


def parse_scopes(values):
    """scope strings -> list of access entries (type, name, actions)."""
    access = []
    for value in values:
        for scope in value.split():
            parts = scope.split(":")
            if len(parts) < 3:
                continue
            rtype = parts[0]
            actions = [a for a in parts[-1].split(",") if a]
            name = ":".join(parts[1:-1])
            klass = None
            if "(" in rtype and rtype.endswith(")"):
                rtype, klass = rtype[:-1].split("(", 1)
            entry = {"type": rtype, "name": name, "actions": actions}
            if klass:
                entry["class"] = klass
            access.append(entry)
    return access


def make_token(subject, service, access):
    now = int(time.time())
    claims = {
        "iss": CFG.issuer,
        "sub": subject,
        "aud": service,
        "exp": now + CFG.ttl,
        "nbf": now - 5,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "access": access,
    }
    headers = {"typ": "JWT", "x5c": CFG.x5c}
    token = jwt.encode(claims, CFG.key, algorithm="RS256", headers=headers)
    if isinstance(token, bytes):  # PyJWT < 2
        token = token.decode()
    return token, now


class Handler(BaseHTTPRequestHandler):
    server_version = "bulkhead-testbed-token/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s token-server %s - %s\n" % (
            datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), self.address_string(), fmt % args))
        sys.stderr.flush()

    def send_json(self, code, obj, extra_headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def unauthorized(self, why):
        self.log_message("401: %s", why)
        self.send_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": why}]},
                       [("WWW-Authenticate", 'Basic realm="bulkhead-testbed-token"')])

    def basic_credentials(self):
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if ":" not in raw:
            return None
        return tuple(raw.split(":", 1))

    def credentials_ok(self, user, password):
        return (hmac.compare_digest(user.encode(), CFG.user.encode()) and
                hmac.compare_digest(password.encode(), CFG.password.encode()))

    def issue(self, user, params):
        service = (params.get("service") or [""])[0]
        if service != CFG.service:
            self.send_json(400, {"errors": [{"code": "DENIED", "message": "unknown service %r" % service}]})
            return
        access = parse_scopes(params.get("scope", []))
        token, now = make_token(user, service, access)
        self.log_message("issued token sub=%s access=%s", user, json.dumps(access))
        self.send_json(200, {
            "token": token,
            "access_token": token,
            "expires_in": CFG.ttl,
            "issued_at": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        })

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/healthz":
            body = b"ok\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if url.path != "/token":
            self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            return
        creds = self.basic_credentials()
        if creds is None:
            self.unauthorized("credentials required")
            return
        if not self.credentials_ok(*creds):
            self.unauthorized("invalid credentials")
            return
        self.issue(creds[0], urllib.parse.parse_qs(url.query))

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        if (form.get("grant_type") or [""])[0] != "password":
            self.send_json(400, {"error": "unsupported_grant_type"})
            return
        user = (form.get("username") or [""])[0]
        password = (form.get("password") or [""])[0]
        if not self.credentials_ok(user, password):
            self.unauthorized("invalid credentials")
            return
        self.issue(user, form)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT")
    ap.add_argument("--credentials", required=True, help="file holding USER:PASSWORD")
    ap.add_argument("--key", required=True, help="PEM private key (RSA) used to sign tokens")
    ap.add_argument("--cert", required=True, help="PEM certificate of --key, optionally followed by intermediates")
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--ttl", type=int, default=300)
    args = ap.parse_args()

    user, password = open(args.credentials).read().strip().split(":", 1)
    CFG.user, CFG.password = user, password
    CFG.key = serialization.load_pem_private_key(open(args.key, "rb").read(), password=None)
    CFG.x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
               for c in load_pem_certs(args.cert)]
    if not CFG.x5c:
        sys.exit("no certificate in %s" % args.cert)
    CFG.issuer, CFG.service, CFG.ttl = args.issuer, args.service, args.ttl

    host, port = args.listen.rsplit(":", 1)
    httpd = ThreadingHTTPServer((host, int(port)), Handler)
    httpd.daemon_threads = True
    sys.stderr.write("token server listening on %s:%d (issuer=%s service=%s)\n" % (
        host, httpd.server_address[1], CFG.issuer, CFG.service))
    sys.stderr.flush()
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
