"""Loopback stand-ins for what Workload Identity gives a pod: the GKE metadata
server (an access token and the account's email, as google-auth asks for them)
and IAM's signBlob (iamcredentials.googleapis.com), which signs as an account
for a caller that holds ``iam.serviceAccounts.signBlob`` on it.

google-cloud-storage calls signBlob at a fixed https address. Its requests
honour HTTPS_PROXY and REQUESTS_CA_BUNDLE, so the signBlob stand-in is an HTTP
proxy that answers CONNECT for that host itself, with a certificate it makes.
"""

from __future__ import annotations

import base64
import datetime
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

IAM_HOST = "iamcredentials.googleapis.com"


class MetadataServer:
    """The metadata server's answers google-auth's Compute Engine credentials use."""

    def __init__(self, email: str, token: str):
        answers = {
            "/": "",
            "/computeMetadata/v1/project/project-id": "test",
            "/computeMetadata/v1/universe/universe-domain": "googleapis.com",
            "/computeMetadata/v1/instance/service-accounts/default/": json.dumps(
                {"email": email, "aliases": ["default"], "scopes": ["cloud-platform"]}
            ),
            "/computeMetadata/v1/instance/service-accounts/default/token": json.dumps(
                {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
            ),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                if path not in answers:
                    self.send_error(404)
                    return
                body = answers[path].encode()
                self.send_response(200)
                self.send_header("Metadata-Flavor", "Google")
                kind = "application/json" if body.startswith(b"{") else "text/plain"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> MetadataServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()


class SignBlob:
    """signBlob for ``tokens`` (access token -> the account it stands for) on the
    accounts ``may_sign`` lets each sign as; every call is kept in ``calls``."""

    def __init__(self, directory: Path, tokens: dict[str, str], may_sign: dict[str, set[str]]):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ca_file = directory / "iamcredentials.pem"
        self.calls: list[dict] = []
        self._context = self._tls(directory)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_CONNECT(self):
                if self.path != f"{IAM_HOST}:443":
                    self.send_error(403, "only IAM credentials here")
                    return
                self.send_response(200)
                self.end_headers()
                with stand_in._context.wrap_socket(self.connection, server_side=True) as tls:
                    stand_in._answer(tls, tokens, may_sign)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.proxy = f"http://127.0.0.1:{self._server.server_port}"

    def _tls(self, directory: Path) -> ssl.SSLContext:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, IAM_HOST)])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(IAM_HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.ca_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file = directory / "iamcredentials.key"
        key_file.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        return context

    def _answer(self, tls: socket.socket, tokens: dict, may_sign: dict) -> None:
        request = tls.makefile("rb")
        line = request.readline().decode().split()
        headers = {}
        while (header := request.readline().decode().strip()) != "":
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = request.read(int(headers.get("content-length", 0)))
        caller = tokens.get(headers.get("authorization", "").removeprefix("Bearer "))
        account = line[1].split("/serviceAccounts/")[-1].split(":signBlob")[0]
        self.calls.append({"caller": caller, "account": account})
        if caller is None or account not in may_sign.get(caller, set()):
            status, answer = 403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                                             "message": "iam.serviceAccounts.signBlob denied"}}  # fmt: skip
        else:
            payload = base64.b64decode(json.loads(body)["payload"])
            signature = self.key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
            self.calls[-1]["signature"] = signature.hex()
            status, answer = (
                200,
                {"keyId": "k1", "signedBlob": base64.b64encode(signature).decode()},
            )
        data = json.dumps(answer).encode()
        tls.sendall(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
            + data
        )

    def __enter__(self) -> SignBlob:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()


def print_download_link() -> None:
    """In a process of its own (google-auth reads GCE_METADATA_HOST once, at
    import): the UI's download link for the log ``LOG_KEY`` names, from an
    instance with the compute log manager ``COMPUTE_LOGS`` describes."""
    import os

    import dagster as dg
    from dagster._core.storage.compute_log_manager import ComputeIOType

    overrides = {"compute_logs": json.loads(os.environ["COMPUTE_LOGS"])}
    with dg.instance_for_test(overrides=overrides, temp_dir=os.environ["TEMP_DIR"]) as instance:
        manager = instance.compute_log_manager
        link = manager.download_url_for_type(os.environ["LOG_KEY"].split("/"), ComputeIOType.STDOUT)
    print(json.dumps({"link": link}))
