"""bench/scale.py's balancer: nginx in front of each deployment, one port per upstream."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

NGINX = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
{blocks}
}}
"""
BLOCK = """  upstream {name} {{ {servers} }}
  server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://{name}; {proxy} }} }}"""
# Websockets through nginx's HTTP proxy (Debian's nginx has no stream module by default): the
# same settings docs/deployment.md gives; sockets are spread round robin per connection.
PROXY = (
    "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; "
    "proxy_set_header Connection $connection_upgrade; proxy_set_header Host $host; "
    "proxy_read_timeout 3600s; proxy_buffering off;"
)


def start_nginx(workdir: str, upstreams: dict[str, list[int]]) -> tuple[subprocess.Popen, dict]:
    """nginx as the balancer: one port per upstream (its processes, round robin)."""
    from tests.support.servers import free_port

    ports = {name: free_port() for name in upstreams}
    blocks = "\n".join(
        BLOCK.format(name=name, port=ports[name], proxy=PROXY,
                     servers=" ".join(f"server 127.0.0.1:{p};" for p in members))
        for name, members in upstreams.items()
    )  # fmt: skip
    conf = Path(workdir) / "nginx.conf"
    conf.write_text(NGINX.format(dir=workdir, blocks=blocks))
    process = subprocess.Popen(["nginx", "-c", str(conf), "-p", workdir, "-g", "daemon off;"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            for port in ports.values():
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, ports
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not start: {(Path(workdir) / 'error.log').read_text()}")
