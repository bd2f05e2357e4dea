"""A real nginx (Debian's package) in front of test servers: a generated config in a temporary
folder, nginx in the foreground on a free port, killed at the end.

    with Nginx(tmp_path / "nginx", ["127.0.0.1:8001", "127.0.0.1:8002"]) as proxy:
        urllib.request.urlopen(proxy.url + "/healthz")

The default server is the production setup of docs/deployment.md (without TLS): the websocket
upgrade on /ws/, the proxy headers TRUST_PROXY reads, and the settings that absorb slow and
half-sent requests (`ABSORB`). `upstream_extra` chooses the balancing (`ip_hash;`, `hash
$arg_site consistent;`), `http_extra` / `server_extra` / `locations` add or replace directives.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.support.servers import free_port

START_TIMEOUT = 15.0
# What keeps slowloris at the proxy (docs/deployment.md lists the same values): a request head
# must arrive within client_header_timeout; an IP may hold limit_conn connections past it.
ABSORB = {
    "client_header_timeout": "10s",
    "client_body_timeout": "10s",
    "send_timeout": "30s",
    "keepalive_timeout": "30s",
    "large_client_header_buffers": "4 8k",
    "limit_conn": "per_ip 50",
}
PROXY_HEADERS = """
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 5s;"""
LOCATIONS = f"""
    location /ws/ {{
        proxy_pass http://frontdesk;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;{PROXY_HEADERS}
        proxy_send_timeout 30s;
        proxy_read_timeout 120s;
    }}
    location / {{
        proxy_pass http://frontdesk;
        proxy_http_version 1.1;
        proxy_set_header Connection "";{PROXY_HEADERS}
        proxy_read_timeout 60s;
    }}"""


def nginx_binary() -> str | None:
    """The nginx executable (Debian installs it in /usr/sbin), or None."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def require_nginx() -> str:
    """The nginx executable; skips the test when it is missing (fails under CI=true)."""
    binary = nginx_binary()
    if binary is None:
        message = "nginx is not installed (Debian package `nginx`; `make nginx` installs it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return binary


class Nginx:
    """nginx proxying to `upstreams` ("host:port"), listening on 127.0.0.1:`port`."""

    def __init__(
        self,
        folder: Path,
        upstreams: Sequence[str],
        *,
        port: int | None = None,
        upstream_extra: str = "",
        http_extra: str = "",
        server_extra: str = "",
        locations: str = LOCATIONS,
        absorb: dict[str, str] | None = None,
    ) -> None:
        self.binary = require_nginx()
        self.folder = Path(folder)
        self.upstreams = list(upstreams)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.upstream_extra = upstream_extra
        self.http_extra = http_extra
        self.server_extra = server_extra
        self.locations = locations
        self.absorb = {**ABSORB, **(absorb or {})}
        self.error_log = self.folder / "error.log"
        self.process: subprocess.Popen | None = None

    def config(self) -> str:
        """The whole nginx.conf."""
        f = self.folder
        user = "user root root;\n" if os.geteuid() == 0 else ""  # workers reach the temp folder
        servers = "\n".join(f"        server {upstream};" for upstream in self.upstreams)
        absorb = dict(self.absorb)
        limit_conn = absorb.pop("limit_conn")
        http_settings = "\n".join(f"    {name} {value};" for name, value in absorb.items())
        temp = "\n".join(
            f"    {kind}_temp_path {f / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return f"""{user}worker_processes 1;
daemon off;
pid {f / "nginx.pid"};
error_log {self.error_log} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp}
{http_settings}
    limit_conn_zone $binary_remote_addr zone=per_ip:10m;
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}
{self.http_extra}
    upstream frontdesk {{
        {self.upstream_extra}
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        limit_conn {limit_conn};
{self.server_extra}
{self.locations}
    }}
}}
"""

    def start(self) -> Nginx:
        """Write the config, start nginx in the foreground and wait until it accepts."""
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "nginx.conf"
        conf.write_text(self.config())
        command = [self.binary, "-p", str(self.folder), "-e", str(self.error_log), "-c", str(conf)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode(errors="replace")
                raise RuntimeError(f"nginx exited: {stderr}{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not start: {self.log()}")

    def log(self) -> str:
        """The end of nginx's error log."""
        return self.error_log.read_text()[-3000:] if self.error_log.exists() else ""

    def stop(self) -> None:
        """Kill nginx (master and worker: its own process group)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
