"""Runs Debian's nginx with the project's own template (nginx/templates/default.conf.template)
for tests, rendered the way the nginx image's envsubst step renders it in Docker."""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.server import REPO, free_port

NGINX_DIR = REPO / "nginx"
TEMPLATE = NGINX_DIR / "templates" / "default.conf.template"
VARIABLES = (
    "BACKEND_ADDR",
    "JUPYTER_ADDR",
    "SERVER_NAME",
    "HTTP_PORT",
    "HTTPS_PORT",
    "CERT_DIR",
    "STATIC_ROOT",
    "SNIPPETS",
    "ACME_ROOT",
    "MAX_UPLOAD_MB",
    "MAX_WEIGHTS_MB",
    "METRICS_ALLOW",
)

# Only the process-wide parts differ from the nginx image's own nginx.conf: files go to a
# temporary folder, and it runs in the foreground as the test's user.
_MAIN = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
daemon off;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/conf.d/*.conf;
}}
"""


def render(template: str, values: dict[str, str]) -> str:
    """envsubst limited to our variables: nginx's own $variables stay as they are."""
    missing = [name for name in VARIABLES if name not in values]
    if missing:
        raise ValueError(f"missing template values: {missing}")
    return re.sub(r"\$\{(" + "|".join(VARIABLES) + r")\}", lambda m: values[m.group(1)], template)


class NginxServer:
    def __init__(
        self,
        tmp: Path,
        backend_addr: str,
        static_root: Path,
        max_upload_mb: int = 200,
        metrics_allow: str = "allow 127.0.0.1;",
        jupyter_addr: str | None = None,
    ) -> None:
        self.tmp = tmp
        self.http_port = free_port()
        self.https_port = free_port()
        self.certs = tmp / "certs"
        self.values = {
            "BACKEND_ADDR": backend_addr,
            "JUPYTER_ADDR": jupyter_addr or f"127.0.0.1:{free_port()}",
            "SERVER_NAME": "localhost",
            "HTTP_PORT": str(self.http_port),
            "HTTPS_PORT": str(self.https_port),
            "CERT_DIR": str(self.certs),
            "STATIC_ROOT": str(static_root),
            "SNIPPETS": str(NGINX_DIR / "snippets"),
            "ACME_ROOT": str(tmp / "acme"),
            "MAX_UPLOAD_MB": str(max_upload_mb),
            "MAX_WEIGHTS_MB": "2048",
            "METRICS_ALLOW": metrics_allow,
        }
        self.url = f"https://localhost:{self.https_port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ca_file(self) -> Path:
        return self.certs / "fullchain.pem"  # self-signed: the certificate is its own CA

    def write_config(self) -> Path:
        self.tmp.mkdir(parents=True, exist_ok=True)
        (self.tmp / "conf.d").mkdir(exist_ok=True)
        (self.tmp / "acme").mkdir(exist_ok=True)
        if not (self.certs / "privkey.pem").exists():
            subprocess.run(
                ["sh", str(NGINX_DIR / "make-self-signed.sh"), str(self.certs), "localhost"],
                check=True,
                capture_output=True,
            )
        site = render(TEMPLATE.read_text(), self.values)
        (self.tmp / "conf.d" / "default.conf").write_text(site)
        text = _MAIN.format(tmp=self.tmp)
        if os.geteuid() == 0:  # workers would otherwise drop to `nobody` and lose the files
            text = "user root;\n" + text
        main = self.tmp / "nginx.conf"
        main.write_text(text)
        return main

    def test_config(self) -> subprocess.CompletedProcess[str]:
        main = self.write_config()
        return subprocess.run(
            [_nginx(), "-t", "-c", str(main), "-p", str(self.tmp)], capture_output=True, text=True
        )

    def start(self, timeout_s: float = 20) -> NginxServer:
        main = self.write_config()
        # the process keeps its own copy of the file; ours is closed at once
        with (self.tmp / "nginx.out").open("ab") as log:
            self.process = subprocess.Popen(
                [_nginx(), "-c", str(main), "-p", str(self.tmp)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log()}")
            try:
                httpx.get(f"http://127.0.0.1:{self.http_port}/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not start: {self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def log(self) -> str:
        path = self.tmp / "error.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def client(self, **kwargs) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        return httpx.Client(base_url=self.url, verify=context, timeout=60, **kwargs)

    def __enter__(self) -> NginxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _nginx() -> str:
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(path).exists():
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    return path
