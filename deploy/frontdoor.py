"""The front door: the suite under one address (``SUITE_URL``), routed by path by nginx.

One table, ``ROUTES``, says which service answers which path; the embedded stack's nginx,
``deploy/compose.yaml``'s and the Kubernetes Ingress are all written from it (``python -m
deploy.frontdoor`` prints the server block, ``python -m deploy.frontdoor k8s`` the Ingress;
tests check the copies in ``deploy/`` are current, route alike, and that every page a service
serves has its route here).

- pages keep their own paths (``/o/<slug>``, ``/case``, ``/book``, ``/staff/...``, ...);
- each service's API is under ``/api/<service>/`` (the prefix is taken off on the way in);
- each service's files are under ``/static/<service>/``, the shared ones ``/static/common/``.

The access log holds no client address and no query string: who opened the report page,
and from where, is none of a log's business (tokens never travel in URLs; see api.js).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

SERVICES = ("intake", "booking", "notify", "reporting")

# (nginx match, path, service). "=": exactly this path; "^~": everything under it.
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("=", "/", "intake"),  # the start page
    ("=", "/o", "intake"),  # its "find your organisation" form
    ("^~", "/o/", "intake"),  # the organisation's report page (flyer link, QR code)
    ("=", "/case", "intake"),  # back with the case code
    ("=", "/staff", "intake"),  # the workspace
    ("=", "/office", "intake"),  # the firm's office
    ("=", "/staff/welcome", "intake"),  # a new account sets its password
    ("^~", "/staff/cases/", "intake"),  # a case, deep-linked from mails
    ("=", "/agenda", "intake"),  # log in, then on to booking's agenda
    ("=", "/staff/agenda", "booking"),
    ("=", "/staff/plan", "booking"),  # a conversation for a case: book or propose times
    ("=", "/book", "booking"),
    ("=", "/org", "reporting"),  # the organisation's reports and signals
    ("=", "/reports", "reporting"),  # the confidant's work on them
    ("^~", "/static/common/", "intake"),  # every service has the same shared files
    *(("^~", f"/static/{s}/", s) for s in SERVICES),
)


def route_of(path: str) -> str | None:
    """The service the front door sends ``path`` to (None: it answers 404 itself)."""
    for service in SERVICES:
        if path.startswith(f"/api/{service}/"):
            return service
    for match, prefix, service in ROUTES:
        if (match == "=" and path == prefix) or (match == "^~" and path.startswith(prefix)):
            return service
    return None


def server_block(
    upstreams: Mapping[str, Sequence[str]], listen: str, resolver: str | None = None
) -> str:
    """nginx's ``upstream`` and ``server`` blocks (an ``http`` context's content):
    ``upstreams`` maps each service to its ``host:port`` addresses. With ``resolver``, names
    are looked up again as they change (nginx 1.27.3 and later: scaled instances come and go)."""
    lines = [
        "# Written by deploy/frontdoor.py from its ROUTES; change it there.",
        'log_format suite \'[$time_local] "$request_method $uri" $status $body_bytes_sent '
        "$request_time';",
    ]
    if resolver:
        lines.append(f"resolver {resolver} valid=5s;")
    resolve = " resolve" if resolver else ""
    for service in SERVICES:
        lines.append(f"upstream {service} {{")
        if resolver:
            lines.append(f"    zone {service} 64k;")  # what "resolve" keeps the answers in
        lines += [f"    server {address}{resolve};" for address in upstreams[service]]
        lines += ["    keepalive 16;", "}"]
    lines += [
        "server {",
        f"    listen {listen};",
        "    access_log /dev/stdout suite;",
        "    server_tokens off;",
        "    client_max_body_size 2m;  # the services refuse less, with a message of their own",
        "    proxy_http_version 1.1;",
        '    proxy_set_header Connection "";',
        "    proxy_set_header Host $http_host;",
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "    proxy_set_header X-Forwarded-Proto $scheme;",
        "    proxy_read_timeout 60s;",
    ]
    for service in SERVICES:
        # The trailing slash of proxy_pass takes /api/<service> off the path.
        lines.append(f"    location ^~ /api/{service}/ {{ proxy_pass http://{service}/; }}")
    for match, path, service in ROUTES:
        lines.append(f"    location {match} {path} {{ proxy_pass http://{service}; }}")
    lines += ["    location / { return 404; }", "}"]
    return "\n".join(lines) + "\n"


def nginx_conf(folder: Path, upstreams: Mapping[str, Sequence[str]], port: int) -> str:
    """A whole nginx.conf for the embedded stack: everything nginx writes stays in
    ``folder``, and it runs in the foreground of whoever starts it."""
    # Every temporary path set, so nothing is written to the packaged /var/lib/nginx.
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    inner = server_block(upstreams, f"127.0.0.1:{port}")
    return (
        f"pid {folder / 'nginx.pid'};\n"
        "error_log stderr warn;\n"
        "worker_processes 1;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"{temp}\n"
        + "".join(f"    {line}\n" if line else "\n" for line in inner.splitlines())
        + "}\n"
    )


# deploy/compose.yaml's front door: Docker's DNS (127.0.0.11) names each service.
COMPOSE_CONF = Path(__file__).parent / "nginx" / "front.conf"
COMPOSE_UPSTREAMS = {
    s: [f"{s}:{port}"] for s, port in zip(SERVICES, range(8081, 8085), strict=True)
}


def compose_conf() -> str:
    return server_block(COMPOSE_UPSTREAMS, "8080", resolver="127.0.0.11")


# deploy/k8s's front door: an ingress-nginx Ingress per kind of route, to each Service's port.
K8S_INGRESS = Path(__file__).parent / "k8s" / "ingress.yaml"
K8S_PORTS = dict(zip(SERVICES, range(8081, 8085), strict=True))


def _backend(service: str) -> dict[str, Any]:
    return {"service": {"name": service, "port": {"number": K8S_PORTS[service]}}}


def k8s_ingress() -> str:
    """Two Ingresses (ingress-nginx): the pages and files by path as they are, and the APIs
    under /api/<service>/ with that prefix taken off (a rewrite applies to a whole Ingress)."""
    common = {"nginx.ingress.kubernetes.io/proxy-body-size": "2m"}
    pages = [
        {"path": path, "pathType": "Exact" if match == "=" else "Prefix", "backend": _backend(s)}
        for match, path, s in ROUTES
    ]
    apis = [
        {
            "path": f"/api/{s}(/|$)(.*)",
            "pathType": "ImplementationSpecific",
            "backend": _backend(s),
        }
        for s in SERVICES
    ]
    docs = [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name, "namespace": "vertrouwd", "annotations": notes},
            "spec": {"ingressClassName": "nginx", "rules": [{"http": {"paths": paths}}]},
        }
        for name, notes, paths in (
            ("vertrouwd-pages", common, pages),
            (
                "vertrouwd-api",
                {
                    **common,
                    "nginx.ingress.kubernetes.io/use-regex": "true",
                    "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
                },
                apis,
            ),
        )
    ]
    head = (
        "# The front door on Kubernetes (ingress-nginx), written by deploy/frontdoor.py from its\n"
        "# ROUTES: python -m deploy.frontdoor k8s > deploy/k8s/ingress.yaml. Add your host and\n"
        "# TLS to the rules; SUITE_URL in config.yaml is that address.\n"
    )
    return head + yaml.safe_dump_all(docs, sort_keys=False)


if __name__ == "__main__":
    sys.stdout.write(k8s_ingress() if sys.argv[1:] == ["k8s"] else compose_conf())
