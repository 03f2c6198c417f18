"""replicate: generations through Replicate's HTTP API (replicate.com/docs/reference/http).

A catalog model names a Replicate model in ``provider_model`` (``owner/name`` for an
official model, ``owner/name:version`` for any other) and may fix inputs and rename
genbot's inputs in ``provider_options`` (``catalog``). One job (``provider``):

1. the prediction is created, with ``webhook`` = ``<public URL>/replicate/webhook/<job>``
   and ``webhook_events_filter = ["completed"]`` when the bot has a public URL; its id
   is stored as the job's task id; a user's photo goes as a URL genbot serves;
2. it is polled with growing pauses until it ends; its files are downloaded (Replicate
   removes outputs after an hour) within ``max_output_bytes``, else passed on as URLs;
3. Replicate's signed webhook (``webhooks``) may end the job first; ending is a
   conditional transition, so the webhook and the poller end it once between them;
4. a job ended elsewhere (the user's ⛔) or past its deadline cancels the prediction.

Without ``api_key`` the provider is not offered and the catalog's replicate models are
hidden. A key Replicate refuses at start (``GET /v1/account``: 401/403) fails the plugin
with Replicate's words; a catalog entry it could not run switches the provider off, one
ERROR line per problem.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from genbot import hookimpl
from genbot.providers import ProviderRegistry, key_refused
from plugins.providers.replicate.catalog import model_problems
from plugins.providers.replicate.provider import ReplicateProvider
from plugins.providers.replicate.webhooks import webhook_handler

log = logging.getLogger("genbot.plugins.replicate")


@hookimpl
def plugin_settings():
    return {"api_key": "", "base_url": "https://api.replicate.com", "webhook_secret": "",
            "webhook_base_url": "", "poll_initial_s": 1.0, "poll_max_s": 10.0,
            "request_timeout_s": 30.0, "max_retries": 5, "max_output_bytes": 20_000_000}


@hookimpl
def plugin_settings_check(settings):
    for name in ("base_url", "webhook_base_url"):
        value = settings[name]
        if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname):
            raise ValueError(f"[replicate] {name} must be an http(s) URL, got {value!r}")
    for name in ("poll_initial_s", "poll_max_s", "request_timeout_s"):
        if settings[name] <= 0:
            raise ValueError(f"[replicate] {name} must be above 0, got {settings[name]}")
    if settings["max_retries"] < 0 or settings["max_output_bytes"] < 0:
        raise ValueError("[replicate] max_retries and max_output_bytes must not be negative")
    secret = settings["webhook_secret"]
    if secret and not secret.startswith("whsec_"):
        raise ValueError("[replicate] webhook_secret must be Replicate's whsec_... key")
    if settings["api_key"]:
        refused = key_refused("replicate", "GET", settings["base_url"].rstrip("/") + "/v1/account",
                              {"Authorization": f"Bearer {settings['api_key']}"})
        if refused:
            raise ValueError(refused)


def _make(app, settings) -> ReplicateProvider:
    provider = ReplicateProvider(settings, settings["webhook_base_url"] or app.public_url, app.fetch_url)
    if provider.webhook_base is None:
        log.info("replicate: no public URL (WEBHOOK_URL): predictions are polled, and models "
                 "with a photo input are refused")
    return provider


# One provider per App (None: switched off), shared by its workers and its webhook route;
# its hooks are the plugin's.
registry = ProviderRegistry("replicate", _make, model_problems=model_problems,
                            callbacks={"/replicate/webhook/<job_id>": webhook_handler})
provider_for = registry.get
generation_providers, web_routes = registry.generation_providers, registry.web_routes
