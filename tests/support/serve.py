"""Running ``python run.py …`` as a real process, the way an operator does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from genbot.testing.app import SECRET, TOKEN

ROOT = Path(__file__).resolve().parents[2]
RUN_PY = str(ROOT / "run.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(**extra) -> dict:
    """A clean environment: nothing from the developer's shell leaks into the process."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
           if k in os.environ}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


# Two job workers, a heartbeat and a sweep fast enough that a lost job is found within a
# second: for tests that run jobs through the served process.
QUICK_JOBS = {"WEB_THREADS": 8, "JOB_WORKERS": 2, "JOB_HEARTBEAT": "0.3",
              "JOB_SWEEP_INTERVAL": "0.5"}


def serve_env(database, bot_api, *presets: dict, **settings) -> dict:
    """`run.py serve`'s environment: ``database`` (its settings or a URL), the suite's bot
    token and webhook secret, the Bot API stand-in, one worker process and a small pool;
    then ``presets`` and ``settings``, each replacing what came before (None: unset)."""
    from genbot.testing.postgres import url_for

    env = {"DATABASE_URL": database if isinstance(database, str) else url_for(database),
           "BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": SECRET, "TELEGRAM_API_URL": bot_api.url,
           "WEB_CONCURRENCY": 1, "DB_POOL_MIN": 1}
    for preset in (*presets, settings):
        env.update(preset)
    return base_env(**env)


def openai_env(database, bot_api, folder: Path, standin, catalog: str, **extra) -> dict:
    """`run.py serve`'s environment with the openai provider talking to ``standin`` and
    the models of ``catalog`` (plugins.toml and catalog.toml written into ``folder``)."""
    (folder / "plugins.toml").write_text(
        f'[openai]\napi_key = "{standin.key}"\nbase_url = "{standin.url}"\nmax_retries = 2\n',
        encoding="utf-8")
    (folder / "catalog.toml").write_text(catalog, encoding="utf-8")
    return serve_env(database, bot_api, {
        "PLUGINS_FILE": str(folder / "plugins.toml"), "CATALOG_FILE": str(folder / "catalog.toml"),
        "PORT": free_port(), "WEB_THREADS": 4, "JOB_WORKERS": 2}, **extra)


def run_cli(*args, env=None, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, RUN_PY, *args], env=env or base_env(), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


class ServeProcess:
    """``run.py serve`` in the background (or ``command``, e.g. an installed ``genbot
    serve``), with its output kept in a file."""

    def __init__(self, env: dict, cwd=None, log_path: Path | None = None, command=None):
        self.port = int(env.get("PORT") or free_port())
        env = dict(env, PORT=str(self.port))
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or Path(cwd or ".") / f"serve-{self.port}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(command or [sys.executable, RUN_PY, "serve"], env=env, cwd=cwd,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 30.0, path: str = "/healthz") -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(self.url + path, timeout=1).status_code == 200:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"serve not ready after {timeout} s:\n{self.log()}")

    def webhook(self, update: dict, secret: str | None = SECRET, **kwargs) -> requests.Response:
        """``update`` POSTed to /webhook as Telegram sends it (``secret=None``: without the
        secret header); a process that no longer answers fails the test with its log."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        kwargs.setdefault("timeout", 30)
        try:
            return requests.post(self.url + "/webhook", json=update, headers=headers, **kwargs)
        except requests.ConnectionError:
            raise AssertionError(f"serve is not answering (exit code {self.proc.poll()}):\n"
                                 f"{self.log()[-4000:]}") from None

    def reply(self, update: dict) -> dict:
        """The bot's answer to ``update`` that rides in the webhook response."""
        response = self.webhook(update)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()
        return self.proc.returncode

    def kill_group(self) -> None:
        """SIGKILL the whole process group (master and workers), as a crash would."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self._log.close()
