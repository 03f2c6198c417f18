"""fal: generations through fal.ai's Queue API (see docs/providers/fal.md).

A catalog model names fal's endpoint id (``provider_model = "fal-ai/flux/dev"``) and,
in ``provider_options``, the inputs fal gets: ``params`` (fixed), ``inputs`` (a genbot
input's fal field name) and ``values`` (a choice's fal value). ``provider`` holds one
job's way through the queue; ``results`` reads fal's output shapes; ``webhook`` is the
route fal calls back, and ``signatures`` checks its signatures.

Without ``api_key`` in ``[fal]`` the provider is not offered and the catalog's fal
models are hidden; a key that is not fal's ``key_id:key_secret`` (or that
``key_check_url`` refuses) fails the plugin with the reason. A fal catalog entry that
cannot work switches the provider off, one ERROR line per problem.

fal may call back ``POST /fal/webhook/<job>``: the signature is checked against fal's
JWKS (forgery → 401, unreadable → 400), the request id must be the job's, and the job
is settled once — ending is a conditional transition, so the poller and the webhook end
it once between them, and a job the user cancelled stays cancelled.
"""

from __future__ import annotations

import logging
import re

from genbot import hookimpl
from genbot.providers import ProviderRegistry, key_refused
from plugins.providers.fal.provider import FalProvider
from plugins.providers.fal.results import model_problems
from plugins.providers.fal.signatures import WebhookVerifier
from plugins.providers.fal.webhook import webhook_handler

log = logging.getLogger("genbot.plugins.fal")

# fal keys are "key_id:key_secret" (fal_client: FAL_KEY, or FAL_KEY_ID and FAL_KEY_SECRET).
KEY_FORMAT = re.compile(r"^[^\s:]+:[^\s:]+$")


# -- hooks --------------------------------------------------------------------------------------

@hookimpl
def plugin_settings():
    return {"api_key": "", "queue_url": "https://queue.fal.run",
            "jwks_url": "https://rest.alpha.fal.ai/.well-known/jwks.json",
            "webhook_base_url": "", "key_check_url": "",
            "poll_initial_s": 1.0, "poll_max_s": 10.0, "request_timeout_s": 30.0,
            "max_retries": 5, "max_output_bytes": 20_000_000}


@hookimpl
def plugin_settings_check(settings):
    key = settings["api_key"]
    if not key:
        return
    if not KEY_FORMAT.match(key):
        raise ValueError("api_key is not a fal key: fal keys look like key_id:key_secret "
                         "(fal.ai/dashboard/keys)")
    for name in ("poll_initial_s", "poll_max_s", "request_timeout_s"):
        if float(settings[name]) <= 0:
            raise ValueError(f"{name} must be above 0")
    if settings["key_check_url"]:
        refused = key_refused("fal", "GET", settings["key_check_url"], {"Authorization": f"Key {key}"})
        if refused:
            raise ValueError(refused)


def _make(app, settings) -> FalProvider:
    provider = FalProvider(settings, settings["webhook_base_url"] or app.public_url, app.download_file,
                           WebhookVerifier(settings["jwks_url"]), app.fetch_url)
    if provider.webhook_base is None:
        log.info("fal: no public URL (WEBHOOK_URL): jobs are finished by polling")
    return provider


# One provider per App (None: switched off), shared by its workers and its webhook route;
# its hooks are the plugin's.
registry = ProviderRegistry("fal", _make, model_problems=model_problems,
                            callbacks={"/fal/webhook/<job_id>": webhook_handler})
provider_for = registry.get
generation_providers, web_routes = registry.generation_providers, registry.web_routes
