"""A local S3-compatible server (moto's server mode) on 127.0.0.1 for the remote-lake tests."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

AWS_ENV = {"AWS_ACCESS_KEY_ID": "causa-test", "AWS_SECRET_ACCESS_KEY": "causa-test-secret", "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    """http://127.0.0.1:PORT"""
    requests: list[tuple[str, str]] = field(default_factory=list)
    """Every request the server answered, as (method, path): path-style, `/bucket/key`."""
    write_hooks: list[Callable[[str, str], bool]] = field(default_factory=list)
    """Called with (method, path) before each PUT, POST or DELETE reaches the store; when one returns True the
    request is refused with 503 and stores nothing (e.g. a hook that kills the client at a chosen upload)."""

    def gets(self, prefix: str) -> list[str]:
        """The paths of the GET requests for keys starting with `prefix` (`/bucket/key...`)."""
        return [path for method, path in self.requests if method == "GET" and path.startswith(prefix)]

    @property
    def options(self) -> dict[str, str]:
        """The lake.storage_options that reach this server (credentials come from the AWS_* variables)."""
        return {"endpoint_override": self.endpoint, "region": "us-east-1"}

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")

    def new_bucket(self) -> str:
        """A fresh bucket with versioning on, so that every rewrite of an object shows as a new version."""
        name = f"causa-{uuid.uuid4().hex[:12]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def versions(self, bucket: str, prefix: str = "") -> dict[str, list[str]]:
        """Every key with its version ids (newest first), delete markers included as 'deleted:<id>'."""
        found: dict[str, list[str]] = {}
        paginator = self.client().get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for version in page.get("Versions", []):
                found.setdefault(version["Key"], []).append(version["VersionId"])
            for marker in page.get("DeleteMarkers", []):
                found.setdefault(marker["Key"], []).append(f"deleted:{marker['VersionId']}")
        return found

    def objects(self, bucket: str, prefix: str = "") -> dict[str, tuple[str, object]]:
        """Current objects: key -> (ETag, LastModified)."""
        found: dict[str, tuple[str, object]] = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = (item["ETag"], item["LastModified"])
        return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingApp:
    """A WSGI wrapper of moto's app: records every request, answers writes one at a time, each after the test's
    write hooks.

    moto checks If-None-Match / If-Match and then stores or deletes the object in two steps; S3 does both at once.
    Serving PUT, POST and DELETE one at a time gives conditional writes S3's atomicity (reads stay concurrent).
    """

    def __init__(
        self, app: Callable, requests: list[tuple[str, str]], write_hooks: list[Callable[[str, str], bool]]
    ) -> None:
        self.app = app
        self.requests = requests
        self.write_hooks = write_hooks
        self.writes = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        self.requests.append((method, environ.get("PATH_INFO", "")))
        if method not in ("PUT", "POST", "DELETE"):
            return self.app(environ, start_response)
        with self.writes:
            path = environ.get("PATH_INFO", "")
            if any(hook(method, path) for hook in list(self.write_hooks)):
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"refused by a test hook"]
            return list(self.app(environ, start_response))


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free port of 127.0.0.1, with test credentials in the AWS_* variables."""
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.server import DomainDispatcherApplication, ThreadedMotoServer, create_backend_app
    from werkzeug.serving import make_server

    requests: list[tuple[str, str]] = []
    write_hooks: list[Callable[[str, str], bool]] = []

    class RecordingMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = RecordingApp(DomainDispatcherApplication(create_backend_app), requests, write_hooks)
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    saved = {name: os.environ.get(name) for name in AWS_ENV}
    os.environ.update(AWS_ENV)
    port = _free_port()
    server = RecordingMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(endpoint=f"http://127.0.0.1:{port}", requests=requests, write_hooks=write_hooks)
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
