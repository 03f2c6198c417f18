"""Kie.ai's published examples, replayed: genbot builds the documented requests and reads
the documented answers and callbacks (the examples are in tests/data/kie, with their
pages in SOURCES.md).

Each family is configured in the catalog the way an operator would reproduce the
example, a job is run through the kie provider against a server that answers with the
documented bodies, and the request genbot sent is compared with the documented one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from pathlib import Path

import pytest
import requests

from core.config import DEFAULT_CATALOG
from core.generation.catalog import load_catalog, parse_catalog
from core.generation.contract import GenerationFailed, GenerationRequest
from genbot.testing.standin import HttpStandIn, Reply, Request
from plugins.providers import kie
from plugins.providers.kie.families import FAMILIES, MalformedAnswer, TaskInputs, family_of
from plugins.providers.kie.webhook import WebhookRefused, signed_task_id, verify
from tests.support.kie_standin import KieStandIn, Task, callback_bodies

DATA = Path(__file__).parent / "data" / "kie"
KEY = "kie-contract-key"


def example(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


class Replay(HttpStandIn):
    """Answers each path with a documented body and keeps what genbot sent."""

    def __init__(self, answers: dict[str, dict]):
        super().__init__()
        self.answers = answers
        self.url = self.listen()
        self.start()

    def serve(self, request: Request, reply: Reply) -> None:
        reply.send(200, self.answers[request.path])

    def close(self):
        self.stop()

    @property
    def received(self) -> list[tuple[str, str, bytes, dict]]:
        """(method, path with its query, body, headers) of every request."""
        return [(r.method, r.path + ("?" + r.query_string if r.query_string else ""), r.body, r.headers)
                for r in self.log]

    def sent_json(self, method: str, path: str) -> dict:
        [body] = [json.loads(b) for m, p, b, _h in self.received if m == method and p.split("?")[0] == path]
        return body


def provider(url: str, callback_base: str | None, fetch_file=None) -> kie.KieProvider:
    settings = dict(kie.plugin_settings(), api_key=KEY, base_url=url, upload_base_url=url,
                    poll_initial_s=0.01, poll_max_s=0.05)
    return kie.KieProvider(settings, callback_base, fetch_file)


def model_from(toml: str):
    catalog = parse_catalog(toml)
    assert kie.catalog_problems(catalog) == []
    return next(iter(catalog.models.values()))


def run(model, inputs: dict, answers: dict, *, callback_base=None, fetch_file=None):
    replay = Replay(answers)
    try:
        task_ids = []
        req = GenerationRequest(job_id=7, user_id=70, model=model, inputs=inputs,
                                deadline=time.monotonic() + 30, set_task_id=task_ids.append)
        kie_provider = provider(replay.url, callback_base, fetch_file)
        output = kie_provider.generate(req)
        return output, replay, task_ids, kie_provider
    finally:
        replay.close()


def with_genbot_callback(documented: dict, kie_provider) -> dict:
    """The documented body with genbot's callback URL where the example has one."""
    if "callBackUrl" not in documented:
        return documented
    return dict(documented, callBackUrl=kie_provider.callback_url(7))


# -- one family at a time ------------------------------------------------------------------

def test_market_request_answer_and_callbacks():
    documented = example("market/create-request.json")
    model = model_from('''[[model]]
id = "gpt-image-edit"
title = "GPT Image 1.5"
category = "image"
price_rub = "10.00"
provider = "kie"
provider_model = "gpt-image/1.5-image-to-image"
provider_options = { api = "market", image_list_field = "input_urls", params = { quality = "medium" } }
inputs = [
  { name = "image", type = "image", label = "Фото" },
  { name = "prompt", type = "text", label = "Что сделать", max_length = 4000 },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "2:3", "3:2"] },
]''')
    inputs = {"image": {"url": documented["input"]["input_urls"][0]},
              "prompt": documented["input"]["prompt"], "aspect_ratio": "3:2"}
    output, replay, task_ids, kie_provider = run(model, inputs, {
        "/api/v1/jobs/createTask": example("market/create-response.json"),
        "/api/v1/jobs/recordInfo": example("market/record-success.json")},
        callback_base="https://bot.example.test")
    assert replay.sent_json("POST", "/api/v1/jobs/createTask") == with_genbot_callback(documented, kie_provider)
    assert task_ids == ["task_gpt-image_1765968156336"]
    assert any(p == "/api/v1/jobs/recordInfo?taskId=task_gpt-image_1765968156336" for _m, p, _b, _h in replay.received)
    assert all(h["Authorization"] == f"Bearer {KEY}" for *_r, h in replay.received)
    assert (output.kind, output.urls) == ("image", ("https://example.com/generated-content.jpg",))

    family = FAMILIES["market"]
    with pytest.raises(GenerationFailed) as failed:
        family.read_record(example("market/record-fail.json"), model)
    assert (failed.value.code, failed.value.message) == ("kie_422", "Invalid prompt: prompt contains prohibited content")
    task_id, outcome = family.read_callback(example("market/callback-success.json"), model)
    assert (task_id, outcome.urls) == ("e989621f54392584b05867f87b160672", ("https://example.com/generated-image.jpg",))
    task_id, outcome = family.read_callback(example("market/callback-fail.json"), model)
    assert task_id == "bd3a37c523149e4adf45a3ddb5faf1a8"
    assert (outcome.code, outcome.message) == ("kie_500", "Internal server error")


def test_market_photo_goes_through_the_file_upload_api():
    """A Telegram photo is uploaded; the documented downloadUrl is what the task gets."""
    model = model_from('''[[model]]
id = "kling-video"
title = "Kling"
category = "video"
price_rub = "10.00"
provider = "kie"
provider_model = "kling/v2-1-pro"
provider_options = { api = "market", image_field = "image_url", params = { duration = "5" } }
inputs = [
  { name = "image", type = "image", label = "Фото" },
  { name = "prompt", type = "text", label = "Что происходит" },
]''')
    uploaded = example("upload/stream-upload-response.json")
    photo = b"\xff\xd8\xff\xe0 a photo"
    fetched = []

    def fetch_file(file_id):
        fetched.append(file_id)
        return photo, "image/jpeg"

    output, replay, _ids, _p = run(model, {"image": {"telegram_file_id": "ph-9"}, "prompt": "в путь"}, {
        "/api/file-stream-upload": uploaded,
        "/api/v1/jobs/createTask": example("market/create-response.json"),
        "/api/v1/jobs/recordInfo": example("market/record-success.json")}, fetch_file=fetch_file)
    assert fetched == ["ph-9"]
    [(_m, _p, body, headers)] = [r for r in replay.received if r[1] == "/api/file-stream-upload"]
    assert headers["Content-Type"].startswith("multipart/form-data") and photo in body
    assert b'name="uploadPath"' in body and b'name="fileName"' in body
    assert replay.sent_json("POST", "/api/v1/jobs/createTask") == {
        "model": "kling/v2-1-pro",
        "input": {"prompt": "в путь", "image_url": uploaded["data"]["downloadUrl"], "duration": "5"}}
    assert output.kind == "video"


def test_flux_kontext():
    documented = example("flux-kontext/create-request.json")
    model = model_from('''[[model]]
id = "flux"
title = "Flux"
category = "image"
price_rub = "10.00"
provider = "kie"
provider_model = "flux-kontext-pro"
provider_options = { api = "flux-kontext", params = { enableTranslation = true, outputFormat = "jpeg", promptUpsampling = false } }
inputs = [
  { name = "prompt", type = "text", label = "Что нарисовать" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "16:9"] },
]''')
    output, replay, task_ids, _p = run(model, {"prompt": documented["prompt"], "aspect_ratio": "16:9"}, {
        "/api/v1/flux/kontext/generate": example("flux-kontext/create-response.json"),
        "/api/v1/flux/kontext/record-info": example("flux-kontext/record-success.json")})
    assert replay.sent_json("POST", "/api/v1/flux/kontext/generate") == documented
    assert task_ids == ["task12345"]
    assert output.urls == ("https://example.com/result.jpg",)
    task_id, outcome = FAMILIES["flux-kontext"].read_callback(example("flux-kontext/callback-success.json"), model)
    assert (task_id, outcome.urls) == ("task12345", ("https://example.com/result.jpg",))


def test_4o_image_on_the_market_api():
    """4o Image as its page documents it now: a Market model, 4o-image-api; the result
    comes from the Market's recordInfo (and callback), as for any Market model."""
    documented = example("4o-image/create-request-files.json")
    model = model_from('''[[model]]
id = "gpt-image"
title = "4o"
category = "image"
price_rub = "10.00"
provider = "kie"
provider_model = "4o-image-api"
provider_options = { api = "market", image_list_field = "files_url", aspect_field = "size", params = { isEnhance = false, uploadCn = false, enableFallback = false, fallbackModel = "FLUX_MAX" } }
inputs = [
  { name = "image", type = "image", label = "Фото" },
  { name = "prompt", type = "text", label = "Что сделать" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "3:2", "2:3"] },
]''')
    inputs = {"image": {"url": documented["input"]["files_url"][0]}, "prompt": documented["input"]["prompt"],
              "aspect_ratio": "1:1"}
    output, replay, task_ids, kie_provider = run(model, inputs, {
        "/api/v1/jobs/createTask": example("market/create-response.json"),
        "/api/v1/jobs/recordInfo": example("market/record-success.json")},
        callback_base="https://bot.example.test")
    sent = replay.sent_json("POST", "/api/v1/jobs/createTask")
    assert sent == with_genbot_callback(documented, kie_provider)
    assert task_ids == ["task_gpt-image_1765968156336"]
    assert output.urls == ("https://example.com/generated-content.jpg",)

    # The schema's own example, a prompt and a size only, is what a text-only model sends.
    schema_example = example("4o-image/create-request.json")
    text_only = model_from('''[[model]]
id = "gpt-image-text"
title = "4o"
category = "image"
price_rub = "10.00"
provider = "kie"
provider_model = "4o-image-api"
provider_options = { api = "market", aspect_field = "size" }
inputs = [
  { name = "prompt", type = "text", label = "Что нарисовать" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "3:2", "2:3"] },
]''')
    body = FAMILIES["market"].body(text_only, TaskInputs(schema_example["input"]["prompt"], "1:1", (), {}),
                                   schema_example["callBackUrl"])
    assert body == schema_example


def test_4o_image_old_version():
    documented = example("4o-image-old/create-request.json")
    model = model_from('''[[model]]
id = "gpt-image"
title = "4o"
category = "image"
price_rub = "10.00"
provider = "kie"
provider_options = { api = "4o-image-old", params = { isEnhance = false, uploadCn = false, nVariants = 1, enableFallback = false, fallbackModel = "FLUX_MAX" } }
inputs = [
  { name = "image", type = "image", label = "Фото" },
  { name = "image2", type = "image", label = "Второе фото" },
  { name = "prompt", type = "text", label = "Что сделать" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "3:2", "2:3"] },
]''')
    inputs = {"image": {"url": documented["filesUrl"][0]}, "image2": {"url": documented["filesUrl"][1]},
              "prompt": documented["prompt"], "aspect_ratio": "1:1"}
    output, replay, task_ids, kie_provider = run(model, inputs, {
        "/api/v1/gpt4o-image/generate": example("4o-image-old/create-response.json"),
        "/api/v1/gpt4o-image/record-info": example("4o-image-old/record-success.json")},
        callback_base="https://bot.example.test")
    assert replay.sent_json("POST", "/api/v1/gpt4o-image/generate") == with_genbot_callback(documented, kie_provider)
    assert task_ids == ["task12345"]
    assert output.urls == ("https://example.com/result/image1.png",)
    # The callback names the list result_urls, the detail page resultUrls.
    task_id, outcome = FAMILIES["4o-image-old"].read_callback(example("4o-image-old/callback-success.json"), model)
    assert (task_id, outcome.urls) == ("task12345", ("https://example.com/result/image1.png",))


def test_the_old_4o_name_still_works_and_says_how_to_move(caplog):
    model = model_from('''[[model]]
id = "gpt-image"
title = "4o"
category = "image"
price_rub = "10.00"
provider = "kie"
provider_options = { api = "4o-image" }
inputs = [
  { name = "prompt", type = "text", label = "Что нарисовать" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "3:2", "2:3"] },
]''')
    assert family_of(model) is FAMILIES["4o-image-old"]
    [line] = [r for r in caplog.records if "model 'gpt-image'" in r.getMessage()]
    assert line.levelname == "WARNING"
    assert "api '4o-image' is now called '4o-image-old'" in line.getMessage()
    assert 'provider_model = "4o-image-api"' in line.getMessage()


def test_a_market_aspect_field_must_be_a_field_name():
    catalog = parse_catalog('''[[model]]
id = "m"
title = "M"
category = "image"
price_rub = "1.00"
provider = "kie"
provider_model = "4o-image-api"
provider_options = { api = "market", aspect_field = 3 }
inputs = [{ name = "prompt", type = "text", label = "Т" }]
''')
    assert kie.catalog_problems(catalog) == ["model 'm': provider_options.aspect_field must be a field name"]


def test_veo():
    documented = example("veo/create-request.json")
    model = model_from('''[[model]]
id = "veo"
title = "Veo"
category = "video"
price_rub = "10.00"
provider = "kie"
provider_model = "veo3"
provider_options = { api = "veo", params = { watermark = "MyBrand", seeds = 12345 } }
inputs = [
  { name = "image", type = "image", label = "Фото", optional = true },
  { name = "prompt", type = "text", label = "Видео" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["16:9", "9:16"] },
]''')
    inputs = {"image": {"url": documented["imageUrls"][0]}, "prompt": documented["prompt"],
              "aspect_ratio": "16:9"}
    output, replay, task_ids, kie_provider = run(model, inputs, {
        "/api/v1/veo/generate": example("veo/create-response.json"),
        "/api/v1/veo/record-info": example("veo/record-success.json")},
        callback_base="http://your-callback-url.com")
    assert replay.sent_json("POST", "/api/v1/veo/generate") == with_genbot_callback(documented, kie_provider)
    assert task_ids == ["veo_task_abcdef123456"]
    assert (output.kind, output.urls) == ("video", ("http://example.com/video1.mp4",))
    task_id, outcome = FAMILIES["veo"].read_callback(example("veo/callback-success.json"), model)
    assert (task_id, outcome.urls) == ("veo_task_abcdef123456", ("http://example.com/video1.mp4",))


def test_suno():
    documented = example("suno/create-request.json")
    model = model_from('''[[model]]
id = "suno"
title = "Suno"
category = "audio"
price_rub = "10.00"
provider = "kie"
provider_model = "V4"
provider_options = { api = "suno", params = { style = "Classical", title = "Peaceful Piano Meditation", customMode = true, instrumental = true, negativeTags = "Heavy Metal, Upbeat Drums", vocalGender = "m", styleWeight = 0.65, weirdnessConstraint = 0.65, audioWeight = 0.65, personaId = "persona_123" } }
inputs = [{ name = "prompt", type = "text", label = "Песня", max_length = 3000 }]''')
    output, replay, task_ids, kie_provider = run(model, {"prompt": documented["prompt"]}, {
        "/api/v1/generate": example("suno/create-response.json"),
        "/api/v1/generate/record-info": example("suno/record-success.json")},
        callback_base="https://api.example.com")
    assert replay.sent_json("POST", "/api/v1/generate") == with_genbot_callback(documented, kie_provider)
    assert task_ids == ["5c79****be8e"]
    assert (output.kind, output.urls) == ("audio", ("https://example.cn/****.mp3",))

    family = FAMILIES["suno"]
    assert family.read_callback(example("suno/callback-text.json"), model) == ("2fac****9f72", None)
    assert family.read_callback(example("suno/callback-first.json"), model) == ("2fac****9f72", None)
    task_id, outcome = family.read_callback(example("suno/callback-complete.json"), model)
    assert (task_id, outcome.urls) == ("2fac****9f72", ("https://example.cn/****.mp3",) * 2)
    task_id, outcome = family.read_callback(example("suno/callback-error.json"), model)
    assert (outcome.code, outcome.message) == ("kie_501", "Generation failed due to technical issues")


def test_chat():
    documented = example("chat/gpt-5-2-request.json")
    model = model_from('''[[model]]
id = "gpt"
title = "GPT"
category = "text"
price_rub = "1.00"
provider = "kie"
provider_model = "gpt-5-2"
provider_options = { api = "chat", params = { tools = [{ type = "function", function = { name = "web_search" } }], reasoning_effort = "high" } }
inputs = [
  { name = "prompt", type = "text", label = "Вопрос" },
  { name = "image", type = "image", label = "Фото", optional = true },
]''')
    content = documented["messages"][0]["content"]
    inputs = {"prompt": content[0]["text"], "image": {"url": content[1]["image_url"]["url"]}}
    output, replay, task_ids, _p = run(model, inputs, {
        "/gpt-5-2/v1/chat/completions": example("chat/gpt-5-2-response.json")})
    assert replay.sent_json("POST", "/gpt-5-2/v1/chat/completions") == documented
    assert task_ids == []  # no task: the answer comes at once
    assert (output.kind, output.text) == ("text", "hello,can i help you?")
    assert FAMILIES["chat"].read_answer(example("chat/gemini-3-pro-response.json")).text == "hello,can i help you?"


def test_an_undocumented_answer_is_not_taken_for_a_result():
    model = load_catalog(DEFAULT_CATALOG).get("flux-kontext")
    body = example("flux-kontext/record-success.json")
    body["data"]["response"] = {"resultImageUrl": None}
    with pytest.raises(MalformedAnswer):
        FAMILIES["flux-kontext"].read_record(body, model)


# -- Kie's webhook signature ----------------------------------------------------------------------

def webhook_example() -> tuple[dict, dict]:
    """The headers and body of the page's "Example Webhook Request" (its ``...`` left out)."""
    head, _, body = (DATA / "common" / "webhook-request.http").read_text(encoding="utf-8").partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    return headers, json.loads(re.sub(r",\s*\.\.\.", "", body))


def signature_as_the_page_computes_it(task_id: str, timestamp: str, key: str) -> str:
    """The page's recipe, step by step: taskId + "." + timestamp, HMAC-SHA256 with the
    webhookHmacKey, Base64."""
    data_to_sign = task_id + "." + timestamp
    digest = hmac.new(key.encode("utf-8"), data_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("utf-8")


def test_kies_example_webhook_request():
    headers, body = webhook_example()
    timestamp, task_id = int(headers["X-Webhook-Timestamp"]), "ee9c2715375b7837f8bb51d641ff5863"
    assert signed_task_id(body) == task_id  # the top-level taskId and data.task_id agree
    assert len(base64.b64decode(headers["X-Webhook-Signature"], validate=True)) == 32  # an HMAC-SHA256
    # Kie publishes no key for its example: with any key of ours it does not verify...
    with pytest.raises(WebhookRefused, match="does not match"):
        verify("our key", headers, body, now=timestamp)
    # ...and signed the page's way with our key, it does, within five minutes either way.
    ours = dict(headers, **{"X-Webhook-Signature": signature_as_the_page_computes_it(
        task_id, headers["X-Webhook-Timestamp"], "our key")})
    assert verify("our key", ours, body, now=timestamp + 300) == task_id
    assert verify("our key", ours, body, now=timestamp - 300) == task_id
    for now in (timestamp + 301, timestamp - 301):
        with pytest.raises(WebhookRefused, match="more than the 300 s allowed"):
            verify("our key", ours, body, now=now)
    with pytest.raises(WebhookRefused, match="does not match"):
        verify("another key", ours, body, now=timestamp)
    with pytest.raises(WebhookRefused, match="no X-Webhook-Timestamp and X-Webhook-Signature"):
        verify("our key", {"Content-Type": "application/json"}, body, now=timestamp)


@pytest.mark.parametrize("name,family", [
    ("market/callback-success.json", "market"), ("market/callback-fail.json", "market"),
    ("flux-kontext/callback-success.json", "flux-kontext"), ("veo/callback-success.json", "veo"),
    ("4o-image-old/callback-success.json", "4o-image-old"), ("suno/callback-text.json", "suno"),
    ("suno/callback-complete.json", "suno"), ("suno/callback-error.json", "suno")])
def test_every_documented_callback_names_the_task_kie_signs(name, family):
    """The task id the signature is checked against is the one the callback is read for."""
    body = example(name)
    model = load_catalog(DEFAULT_CATALOG).get({"market": "kling-video", "flux-kontext": "flux-kontext",
                                               "veo": "veo3-fast", "suno": "suno-music"}.get(family, "gpt-image"))
    task_id, _outcome = FAMILIES[family].read_callback(body, model)
    assert task_id and signed_task_id(body) == task_id


def test_the_standin_signs_its_callbacks_as_the_page_says():
    standin = KieStandIn(KEY).start()
    try:
        assert standin.signed_headers("task-1") == {}  # the key is off at Kie: no headers
        standin.webhook_hmac_key = "account key"
        assert standin.signed_headers("task-1", 1769670760) == {
            "X-Webhook-Timestamp": "1769670760",
            "X-Webhook-Signature": signature_as_the_page_computes_it("task-1", "1769670760", "account key")}
        for family in ("market", "flux-kontext", "4o-image-old", "veo", "suno"):
            task = Task(family, f"task_{family}_1", {"model": "m"}, 0.0, (), False, "https://x.test/cb")
            for _after, body in callback_bodies(task):
                headers = standin.signed_headers(signed_task_id(body))
                assert verify("account key", headers, body) == task.task_id, family
    finally:
        standin.stop()


# -- the stand-in agrees with the pages ----------------------------------------------------------

@pytest.mark.parametrize("path,name", [
    ("/api/v1/jobs/createTask", "market/create-request.json"),
    ("/api/v1/flux/kontext/generate", "flux-kontext/create-request.json"),
    ("/api/v1/jobs/createTask", "4o-image/create-request.json"),
    ("/api/v1/jobs/createTask", "4o-image/create-request-files.json"),
    ("/api/v1/gpt4o-image/generate", "4o-image-old/create-request.json"),
    ("/api/v1/veo/generate", "veo/create-request.json"),
    ("/api/v1/generate", "suno/create-request.json"),
    ("/gpt-5-2/v1/chat/completions", "chat/gpt-5-2-request.json"),
])
def test_the_standin_accepts_every_documented_request(path, name):
    standin = KieStandIn(KEY).start()
    try:
        standin.send_callbacks = False
        headers = {"Authorization": f"Bearer {KEY}"}
        answer = requests.post(standin.api_url + path, json=example(name), headers=headers, timeout=5)
        assert answer.status_code == 200
        assert answer.json().get("code", 200) == 200, answer.text
        wrong = requests.post(standin.api_url + path, json=example(name), timeout=5)
        assert wrong.json() == example("common/unauthorized.json")
    finally:
        standin.stop()


# -- the shipped catalog names documented ids only --------------------------------------------

# Ids with a published example (tests/data/kie/SOURCES.md) or in a documented enum.
DOCUMENTED_IDS = {
    "market": {"kling/v2-1-pro", "gpt-image/1.5-image-to-image", "gpt-image/1.5-text-to-image",
               "4o-image-api"},
    "flux-kontext": set(FAMILIES["flux-kontext"].model_ids),
    "veo": set(FAMILIES["veo"].model_ids),
    "suno": set(FAMILIES["suno"].model_ids),
    "chat": {"gpt-5-2", "gemini-3-pro"},
}


def test_the_shipped_catalog_names_documented_kie_ids_only():
    catalog = load_catalog(DEFAULT_CATALOG)
    assert kie.catalog_problems(catalog) == []
    kie_models = {m.id: m for m in catalog.models.values() if m.provider == "kie"}
    # Every current family; the old version of 4o Image is kept for catalogs that use it.
    assert {m.provider_options["api"] for m in kie_models.values()} == set(FAMILIES) - {"4o-image-old"}
    for model in kie_models.values():
        assert model.provider_model in DOCUMENTED_IDS[model.provider_options["api"]], model.id


def test_the_model_operations_md_shows_how_to_add_passes_the_kie_checks():
    text = (Path(__file__).parents[1] / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text[text.index("### Kie.ai models"):]
    block = section[section.index("```toml\n") + 8:]
    catalog = parse_catalog(block[:block.index("```")])
    assert kie.catalog_problems(catalog) == []
    model = catalog.get("nano-banana-edit")
    body = FAMILIES["market"].body(model, TaskInputs("кот", "1:1", ("https://x.test/a.png",), {}), None)
    assert body == {"model": "google/nano-banana-edit", "input": {
        "prompt": "кот", "aspect_ratio": "1:1", "image_urls": ["https://x.test/a.png"], "output_format": "png"}}


def test_the_core_checks_only_that_provider_options_is_a_table():
    from core.generation.catalog import CatalogError
    with pytest.raises(CatalogError, match="model 'm': field 'provider_options' must be a table"):
        parse_catalog('[[model]]\nid = "m"\ntitle = "M"\ncategory = "image"\nprice_rub = "1.00"\n'
                      'provider = "kie"\nprovider_options = "market"\n'
                      'inputs = [{ name = "prompt", type = "text", label = "Т" }]\n')
