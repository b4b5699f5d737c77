"""A Kubernetes API server for tests: recorded answers over real HTTP on 127.0.0.1.

Serves the JSON in ``tests/data/live`` exactly as an API server sends it: lists cut into
pages by ``limit`` with an opaque ``continue`` token and ``remainingItemCount`` (the last
page has neither), ``labelSelector``/``fieldSelector`` recorded for the test to check, a
``Status`` with code 404 for a DaemonSet that is not there, a 403 ``Status`` for any
path in ``forbidden``, and a 410 ``Status`` (an expired ``continue`` token) for the next
``expire_continue`` continued list requests. ``/version`` answers ``version`` as a v1.37
API server does (not recorded: set it to another ``gitVersion``, or forbid the path). Only
GET is answered; any other method is a test failure (405).
"""

from __future__ import annotations

import base64
import copy
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATA = Path(__file__).parent / "data" / "live"


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


class RecordedApi:
    """The recorded objects, and what the client asked for."""

    def __init__(self) -> None:
        self.daemonset = _load("daemonset.json")
        self.lists = {"/api/v1/nodes": _load("nodes.json"),
                      "/api/v1/namespaces/kube-system/pods": _load("pods.json"),
                      "/api/v1/namespaces/kube-system/events": _load("events.json")}
        self.forbidden: set[str] = set()
        self.expire_continue = 0  # answer this many continued list requests with 410 Gone
        self.version = {"major": "1", "minor": "37", "gitVersion": "v1.37.2", "gitCommit": "0" * 40,
                        "gitTreeState": "clean", "buildDate": "2026-10-14T09:12:40Z", "goVersion": "go1.25.3",
                        "compiler": "gc", "platform": "linux/amd64"}
        self.requests: list[tuple[str, str, dict]] = []  # method, path, query

    def answer(self, method: str, url: str) -> tuple[int, dict]:
        parsed = urlparse(url)
        path, query = parsed.path, {k: v[0] for k, v in parse_qs(parsed.query).items()}
        self.requests.append((method, path, query))
        if method != "GET":
            return 405, self._status(405, "MethodNotAllowed", f"{method} is not allowed in this test")
        if path in self.forbidden:
            status = _load("status-403.json")
            return 403, status
        if path == "/version/":  # the client asks with the trailing slash
            return 200, self.version
        ds_path = "/apis/apps/v1/namespaces/kube-system/daemonsets/"
        if path.startswith(ds_path):
            name = path[len(ds_path):]
            if name == self.daemonset["metadata"]["name"]:
                return 200, self.daemonset
            status = _load("status-404.json")
            status["message"] = f'daemonsets.apps "{name}" not found'
            status["details"]["name"] = name
            return 404, status
        if path in self.lists:
            if "continue" in query and self.expire_continue:
                self.expire_continue -= 1
                return 410, self._status(410, "Expired", "The provided continue parameter is too old to display a "
                                                         "consistent list result. You can start a new list without "
                                                         "the continue parameter.")
            return 200, self._page(self.lists[path], query)
        return 404, self._status(404, "NotFound", "the server could not find the requested resource")

    @staticmethod
    def _status(code: int, reason: str, message: str) -> dict:
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                "reason": reason, "code": code}

    @staticmethod
    def _page(full: dict, query: dict) -> dict:
        items = full["items"]
        start = int(base64.b64decode(query["continue"]).decode()) if "continue" in query else 0
        limit = int(query.get("limit", 0)) or len(items)
        page = copy.deepcopy(full)
        page["items"] = items[start:start + limit]
        end = start + limit
        if end < len(items):
            page["metadata"]["continue"] = base64.b64encode(str(end).encode()).decode()
            page["metadata"]["remainingItemCount"] = len(items) - end
        return page


class _Handler(BaseHTTPRequestHandler):
    api: RecordedApi

    def _reply(self) -> None:
        code, body = self.server.api.answer(self.command, self.path)  # type: ignore[attr-defined]
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _reply

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


# A self-signed certificate for the name kubernetes.test alone (not 127.0.0.1), for tests only:
# a client that trusts it still refuses it at https://127.0.0.1 (the address is not its name).
TLS_CERT, TLS_KEY = DATA / "tls" / "kubernetes.test.crt", DATA / "tls" / "kubernetes.test.key"


class ApiServer:
    """Start with ``with ApiServer() as server:``; ``server.url`` is ``http://127.0.0.1:PORT``
    (``https://`` with ``tls``: the server presents ``TLS_CERT``).
    """

    def __init__(self, tls: bool = False) -> None:
        self.api = RecordedApi()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.api = self.api  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.tls = tls
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(TLS_CERT, TLS_KEY)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> ApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def write_kubeconfig(path: Path, server: str, namespace: str = "kube-system") -> Path:
    """A kubeconfig with context ``recorded`` (and ``elsewhere``, which has no namespace) at ``server``."""
    path.write_text(f"""apiVersion: v1
kind: Config
clusters:
- name: recorded
  cluster:
    server: {server}
users:
- name: planner
  user:
    token: not-a-secret
contexts:
- name: recorded
  context:
    cluster: recorded
    user: planner
    namespace: {namespace}
- name: elsewhere
  context:
    cluster: recorded
    user: planner
current-context: recorded
""", encoding="utf-8")
    return path
