"""Kie.ai's published examples, replayed: genbot builds the documented requests and reads
the documented answers and callbacks (the examples are in tests/data/kie, with their
pages in SOURCES.md).

Each family is configured in the catalog the way an operator would reproduce the
example, a job is run through the kie provider against a server that answers with the
documented bodies, and the request genbot sent is compared with the documented one.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from core.catalog import load_catalog, parse_catalog
from core.config import DEFAULT_CATALOG
from core.providers import GenerationFailed, GenerationRequest
from plugins.providers import kie
from plugins.providers.kie.families import FAMILIES, MalformedAnswer, TaskInputs
from tests.support.kie_standin import KieStandIn

DATA = Path(__file__).parent / "data" / "kie"
KEY = "kie-contract-key"


def example(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


class Replay:
    """Answers each path with a documented body and keeps what genbot sent."""

    def __init__(self, answers: dict[str, dict]):
        self.answers = answers
        self.received: list[tuple[str, str, bytes, dict]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                replay.received.append((self.command, self.path, body, dict(self.headers.items())))
                data = json.dumps(replay.answers[path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

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


def test_4o_image():
    documented = example("4o-image/create-request.json")
    model = model_from('''[[model]]
id = "gpt-image"
title = "4o"
category = "image"
price_rub = "10.00"
provider = "kie"
provider_options = { api = "4o-image", params = { isEnhance = false, uploadCn = false, nVariants = 1, enableFallback = false, fallbackModel = "FLUX_MAX" } }
inputs = [
  { name = "image", type = "image", label = "Фото" },
  { name = "image2", type = "image", label = "Второе фото" },
  { name = "prompt", type = "text", label = "Что сделать" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "3:2", "2:3"] },
]''')
    inputs = {"image": {"url": documented["filesUrl"][0]}, "image2": {"url": documented["filesUrl"][1]},
              "prompt": documented["prompt"], "aspect_ratio": "1:1"}
    output, replay, task_ids, kie_provider = run(model, inputs, {
        "/api/v1/gpt4o-image/generate": example("4o-image/create-response.json"),
        "/api/v1/gpt4o-image/record-info": example("4o-image/record-success.json")},
        callback_base="https://bot.example.test")
    assert replay.sent_json("POST", "/api/v1/gpt4o-image/generate") == with_genbot_callback(documented, kie_provider)
    assert task_ids == ["task12345"]
    assert output.urls == ("https://example.com/result/image1.png",)
    # The callback names the list result_urls, the detail page resultUrls.
    task_id, outcome = FAMILIES["4o-image"].read_callback(example("4o-image/callback-success.json"), model)
    assert (task_id, outcome.urls) == ("task12345", ("https://example.com/result/image1.png",))


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


# -- the stand-in agrees with the pages ----------------------------------------------------------

@pytest.mark.parametrize("path,name", [
    ("/api/v1/jobs/createTask", "market/create-request.json"),
    ("/api/v1/flux/kontext/generate", "flux-kontext/create-request.json"),
    ("/api/v1/gpt4o-image/generate", "4o-image/create-request.json"),
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
    "market": {"kling/v2-1-pro", "gpt-image/1.5-image-to-image", "gpt-image/1.5-text-to-image"},
    "flux-kontext": set(FAMILIES["flux-kontext"].model_ids),
    "veo": set(FAMILIES["veo"].model_ids),
    "suno": set(FAMILIES["suno"].model_ids),
    "chat": {"gpt-5-2", "gemini-3-pro"},
    "4o-image": {None},  # the 4o Image API takes no model id
}


def test_the_shipped_catalog_names_documented_kie_ids_only():
    catalog = load_catalog(DEFAULT_CATALOG)
    assert kie.catalog_problems(catalog) == []
    kie_models = {m.id: m for m in catalog.models.values() if m.provider == "kie"}
    assert {m.provider_options["api"] for m in kie_models.values()} == set(FAMILIES)
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
    from core.catalog import CatalogError
    with pytest.raises(CatalogError, match="model 'm': field 'provider_options' must be a table"):
        parse_catalog('[[model]]\nid = "m"\ntitle = "M"\ncategory = "image"\nprice_rub = "1.00"\n'
                      'provider = "kie"\nprovider_options = "market"\n'
                      'inputs = [{ name = "prompt", type = "text", label = "Т" }]\n')
