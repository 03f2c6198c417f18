"""The shared provider contract (genbot.testing.conformance) run by the providers that
live outside their own test modules: demo, offline, and kie, against the Kie stand-in.
openai, replicate and fal run it in tests/test_openai.py, test_replicate.py, test_fal.py."""

from __future__ import annotations

import pytest

from core.config import DEFAULT_CATALOG
from core.generation.catalog import load_catalog
from genbot.testing.conformance import ProviderConformance, Scenario
from plugins.providers import kie
from plugins.providers.demo import DemoProvider
from tests.support.kie_standin import KieStandIn

SHIPPED = load_catalog(DEFAULT_CATALOG)


class TestDemoConformance(ProviderConformance):
    # Offline: no service that could be busy or down.
    test_rides_out_a_rate_limit = None
    test_rides_out_a_server_error = None

    @pytest.fixture(params=["demo-image", "demo-video", "demo-audio", "demo-text-pro"])
    def scenario(self, request):
        model = SHIPPED.get(request.param)
        prompts = {"succeed": "закат над морем", "fail": "!fail", "hang": "!slow"}
        return lambda behaviour: Scenario(DemoProvider(delay_s=0.05), model,
                                          {"prompt": prompts[behaviour], "tone": "деловой"})


class TestKieConformance(ProviderConformance):
    @pytest.fixture
    def standin(self):
        standin = KieStandIn(stage_s=0.05).start()
        yield standin
        standin.stop()

    @pytest.fixture(params=["flux-kontext", "veo3-fast"])
    def scenario(self, standin, request):
        model = SHIPPED.get(request.param)
        settings = {**kie.plugin_settings(), "api_key": standin.key, "base_url": standin.api_url,
                    "upload_base_url": standin.upload_url, "poll_initial_s": 0.1,
                    "poll_max_s": 0.2, "max_retries": 2}

        def make(behaviour):
            if behaviour == "fail":
                standin.fail_tasks = True
            elif behaviour == "hang":
                standin.poll_lag_s = 3600
            elif behaviour in ("busy", "down"):
                standin.refuse("create", 429 if behaviour == "busy" else 500)
            provider = kie.KieProvider(settings, None, lambda file_id: (b"", "image/jpeg"))
            # Kie has no cancel API: a cancelled task runs out on Kie's side.
            return Scenario(provider, model, {"prompt": "неоновый город ночью",
                                                     "aspect_ratio": model.inputs[-1].choices[0]})

        return make
