"""The web app: the Telegram webhook and the health endpoints, served by Flask.

``POST /webhook`` checks, in this order: the secret header (403, compared in
constant time), the body size (413), JSON with an integer ``update_id`` (400). A
repeated ``update_id`` is answered 200 and not processed again; a handler's
exception is logged and answered 200, because Telegram would otherwise re-send a
poison update forever. The first reply may travel back in the response body.

``/metrics`` and ``/readyz``'s details (database error, plugins' states and reasons) are
for the operator: only with ``Authorization: Bearer <METRICS_TOKEN>``. Without the
setting ``/metrics`` does not exist (404); ``/readyz`` keeps its status code for load
balancers, with ``{"status": …}`` as its public body.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from core import logs, metrics
from core.db import CORE_TABLES, DEGRADED_ERRORS, UNAVAILABLE_ERRORS
from core.generation.contract import GenerationOutput
from core.generation.jobs import failing_providers
from core.generation.result_files import result_files
from core.url_fetch import UrlRefused

if TYPE_CHECKING:  # the App is built later than this module is imported (serve's metrics)
    from core.app import App

log = logging.getLogger("genbot.web")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
RESULT_STREAM_S = 1800.0  # a large result passed through from its provider


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")


def readiness(app: App) -> tuple[dict, int]:
    """What /readyz reports to the operator: 503 when the database or the users table is
    not there."""
    missing: list[str] = []
    report: dict[str, Any] = {"database": "ok", "schema": {"missing": missing}}
    try:
        rows = app.db.fetch_all(
            "SELECT name FROM unnest(%s::text[]) AS name "
            "WHERE to_regclass('public.' || name) IS NULL", (list(CORE_TABLES),))
        missing += [r[0] for r in rows]
    except UNAVAILABLE_ERRORS as exc:
        report["database"] = "unreachable"
        report["error"] = logs.first_line(exc)
    report["plugins"] = {p["name"]: {"state": p["state"], "reason": p["reason"]}
                         for p in app.plugins.as_json()}
    ready = report["database"] == "ok" and "users" not in missing
    report["status"] = "ready" if ready else "unavailable"
    return report, (200 if ready else 503)


def providers_report(app: App) -> dict:
    """Each running provider: "ok", or "failing" with why and since when (its account
    could not be used, and none of its jobs succeeded since)."""
    report = {name: {"state": "ok"} for name in app.offer.providers}
    try:
        failing = failing_providers(app.db)
    except DEGRADED_ERRORS:  # generation_jobs gone: the schema check says so
        return report
    for name, code, message, since in failing:
        report[name] = {"state": "failing", "reason": f"{code}: {message}", "since": since.isoformat()}
    return report


def _guarded_view(plugin, view):
    """A plugin's route: 503 while the plugin is degraded or the database is away (the
    caller should retry), 500 (logged) if it raises."""

    def guarded(**kwargs):
        if plugin.state != "enabled":
            return _json({"error": f"{plugin.name} unavailable: {plugin.reason}"}, 503)
        try:
            return view(**kwargs)
        except HTTPException:
            raise  # 413 and friends keep their status
        except DEGRADED_ERRORS as exc:  # the message names the missing table, if that is it
            log.warning("plugin %s: route %s: database unavailable: %s", plugin.name, request.path,
                        logs.first_line(exc))
            return _json({"error": "database temporarily unavailable, retry later"}, 503)
        except Exception:
            log.exception("plugin %s: route %s failed", plugin.name, request.path)
            return _json({"error": "internal error"}, 500)

    return guarded


def create_web_app(app: App) -> Flask:
    web = Flask("genbot")
    web.config["MAX_CONTENT_LENGTH"] = app.config.webhook_max_bytes
    secret = (app.config.webhook_secret or "").encode()
    metrics_token = (app.config.metrics_token or "").encode()
    limit = app.config.webhook_max_bytes

    @web.before_request
    def tag_request():
        given = request.headers.get("X-Request-Id", "")
        logs.start_request(given if _REQUEST_ID.match(given) else None)

    def operator() -> bool:
        """The request carries METRICS_TOKEN as its bearer token (compared in constant time)."""
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return bool(metrics_token) and scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), metrics_token)

    @web.post("/webhook")
    def webhook():
        with metrics.WEBHOOK_SECONDS.time():
            response = answer_webhook()
        if response.status_code != 200:
            metrics.UPDATES.labels("unknown", f"rejected_{response.status_code}").inc()
        return response

    def answer_webhook():
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            log.warning("webhook: wrong or missing secret token from %s", request.remote_addr)
            return _json({"error": "forbidden"}, 403)
        if request.content_length is not None and request.content_length > limit:
            return _json({"error": f"body larger than {limit} bytes"}, 413)
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return _json({"error": f"body larger than {limit} bytes"}, 413)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _json({"error": "body is not JSON"}, 400)
        update_id = payload.get("update_id") if isinstance(payload, dict) else None
        if type(update_id) is not int or not 0 <= update_id < 2**63:
            return _json({"error": "update_id missing or not a non-negative 64-bit integer"}, 400)
        handled = app.pipeline.handle(update_id, payload)
        if handled.send_again is not None:  # Telegram re-sends what gets a non-2xx answer
            return _json({"error": "not recorded yet, send it again"}, 503)
        if handled.reply is not None:
            return _json(handled.reply)
        return Response(status=200)

    @web.get("/files/<token>")
    def input_file(token):
        """A user's photo for a provider, by a signed link that expires (core.telegram.links)."""
        file_id = app.input_files.file_id_of(token)
        if file_id is None:
            return _json({"error": "unknown or expired link"}, 404)
        try:
            data, content_type = app.input_files.fetch(file_id)
        except Exception as exc:
            log.warning("input file: Telegram did not give the file: %s", logs.first_line(exc))
            return _json({"error": "file unavailable"}, 502)
        return Response(data, mimetype=content_type, headers={"Cache-Control": "no-store"})

    @web.get("/results/<token>")
    def result_file(token):
        """A result Telegram would not carry, by the signed link its user was sent."""
        named = app.result_links.item_of(token)
        try:
            job = app.jobs.get(named[0]) if named is not None else None
        except DEGRADED_ERRORS:
            return _json({"error": "database temporarily unavailable, retry later"}, 503)
        if job is None or job.status != "succeeded" or not job.result:
            return _json({"error": "unknown or expired link"}, 404)
        files = result_files(GenerationOutput.from_json(job.result))
        if not 0 <= named[1] < len(files):
            return _json({"error": "unknown or expired link"}, 404)
        item = files[named[1]]
        headers = {"Cache-Control": "private, no-store",
                   "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.name)}"}
        if item.data is not None:
            return Response(item.data, mimetype=item.mime or "application/octet-stream", headers=headers)
        return stream_result(item.url, headers)

    def stream_result(url: str, headers: dict):
        """The provider's file, passed through as it arrives (fetched from public
        addresses only, like every URL genbot opens)."""
        held = contextlib.ExitStack()  # open until the body has been passed on
        try:
            response = held.enter_context(app.fetcher.open(url, timeout_s=RESULT_STREAM_S))
        except UrlRefused as exc:
            log.warning("result link: %s could not be fetched (%s)", url, exc)
            return _json({"error": "the file is no longer available"}, 502)

        def body():
            try:
                yield from response.chunks()
            except UrlRefused as exc:
                log.warning("result link: %s broke off (%s)", url, exc)
            finally:
                held.close()

        if response.length is not None:
            headers["Content-Length"] = str(response.length)
        passed = Response(body(), mimetype=response.content_type or "application/octet-stream",
                          headers=headers, direct_passthrough=True)
        passed.call_on_close(held.close)  # also when the body was never read
        return passed

    @web.get("/metrics")
    def metrics_view():
        if not metrics_token:
            return _json({"error": "not found"}, 404)
        if not operator():
            refused = _json({"error": "Authorization: Bearer <METRICS_TOKEN> required"}, 401)
            refused.headers["WWW-Authenticate"] = "Bearer"
            return refused
        body, content_type = metrics.render(app)
        return Response(body, mimetype=content_type.split(";")[0],
                        headers={"Content-Type": content_type})

    @web.get("/healthz")
    def healthz():
        return _json({"status": "ok"})

    @web.get("/readyz")
    def readyz():
        report, status = readiness(app)
        if not operator():
            return _json({"status": report["status"]}, status)
        report["providers"] = providers_report(app) if report["database"] == "ok" else {}
        return _json(report, status)

    for plugin, route in app.plugins.web_routes():
        web.add_url_rule(route.rule, f"{plugin.name}:{route.rule}",
                         _guarded_view(plugin, route.view), methods=list(route.methods))

    @web.errorhandler(404)
    def not_found(_exc):
        return _json({"error": "not found"}, 404)

    @web.errorhandler(405)
    def not_allowed(_exc):
        return _json({"error": "method not allowed"}, 405)

    @web.errorhandler(413)
    def too_large(_exc):
        return _json({"error": f"body larger than {limit} bytes"}, 413)

    return web
