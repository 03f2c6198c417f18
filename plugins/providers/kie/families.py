"""Kie.ai's API families, one small adapter each.

Kie has one generic task API (Market) beside older dedicated ones, and each has its own
create path and body, poll path, status field, result location and callback shape. A
catalog entry names its family in ``provider_options.api`` and Kie's model id in
``provider_model``; the adapter turns the user's inputs into that family's body and
reads that family's answers. Pages (docs.kie.ai, read in 2026):

- ``market``: https://docs.kie.ai/market/common/get-task-detail and the model pages
  (e.g. /market/kling/v2-1-pro, /market/gpt-image/1.5-image-to-image);
- ``flux-kontext``: /flux-kontext-api/generate-or-edit-image, /get-image-details,
  /generate-or-edit-image-callbacks;
- ``4o-image-old``: Kie's old version of the 4o Image API,
  /old-model/4o-image-api/generate-4-o-image, /get-4-o-image-details,
  /generate-4-o-image-callbacks. The current 4o Image page
  (/4o-image-api/generate-4-o-image) documents 4o Image on the Market API, model
  ``4o-image-api``; the old pages are still published, so the old family stays, under a
  name that says so (the former name ``4o-image`` still works, with a warning);
- ``veo``: /veo3-api/generate-veo-3-video, /get-veo-3-video-details,
  /generate-veo-3-video-callbacks;
- ``suno``: /suno-api/generate-music, /get-music-details, /generate-music-callbacks;
- ``chat``: /market/chat/gpt-5-2, /market/chat/gemini.

The user's inputs map by name: ``prompt``; ``aspect_ratio`` (a choice), sent under the
family's own spelling (a Market model names it in ``aspect_field``: 4o Image's ``size``);
every ``image`` input, sent as the family's image URL field; any other input under its
own name. ``provider_options.params`` adds fixed fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from genbot import GenerationFailed, GenerationOutput
from plugins.providers.kie.client import reason_for

_KINDS = {"image": "image", "video": "video", "audio": "audio", "text": "text"}
_MAX_RESULTS = 10


class MalformedAnswer(Exception):
    """An answer that is not the documented shape: worth another poll, not a verdict."""


@dataclass(frozen=True)
class TaskInputs:
    """A job's inputs as the adapters see them, photos already turned into URLs."""
    prompt: str | None
    aspect_ratio: str | None
    image_urls: tuple[str, ...]
    other: dict


def task_failed(code, message) -> GenerationFailed:
    code = str(code).strip() if code not in (None, "") else "failed"
    return GenerationFailed(f"kie_{code}", str(message or "Kie.ai failed the task")[:500],
                            reason_for(code))


def _urls(value) -> tuple[str, ...]:
    """Result URLs from a list, a single URL, or Veo's "[url, url]" string."""
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            try:
                value = json.loads(value)
            except ValueError:
                value = [part.strip() for part in value[1:-1].split(",")]
        else:
            value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(u for u in value if isinstance(u, str) and u.startswith(("https://", "http://")))


def _output(model, urls) -> GenerationOutput:
    urls = _urls(urls)
    if not urls:
        raise MalformedAnswer("no result URLs where the documentation puts them")
    return GenerationOutput(_KINDS.get(model.category, "image"), urls=urls[:_MAX_RESULTS])


def _data(body) -> dict:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise MalformedAnswer("no data object in the answer")
    return data


def _params(model) -> dict:
    params = model.provider_options.get("params")
    return dict(params) if isinstance(params, dict) else {}


class Family:
    """One Kie API family. Subclasses set the class attributes and the readers."""

    name = ""
    create_path = ""
    poll_path: str | None = None
    aspect_field: str | None = "aspect_ratio"  # where the aspect_ratio input goes
    aspect_ratios: tuple[str, ...] | None = None  # the documented values, where fixed
    model_ids: tuple[str, ...] | None = None  # the documented ids, where the list is closed
    image_field: str | None = None  # where photos go (a list unless image_is_list is False)
    image_is_list = True
    max_images = 0
    categories: tuple[str, ...] = ("image",)
    needs_model_id = True
    needs_prompt = True
    needs_callback = False  # Kie requires callBackUrl
    synchronous = False  # answers at once, no task (chat)
    min_poll_interval_s = 0.0  # a per-task query limit
    option_keys: tuple[str, ...] = ("api", "params")

    # -- the catalog entry ----------------------------------------------------------

    def problems(self, model) -> list[str]:
        """What is wrong with this catalog entry for this family, in words."""
        found = []
        options = model.provider_options
        unknown = sorted(set(options) - set(self.option_keys))
        if unknown:
            found.append(f"provider_options has {', '.join(unknown)}, which the {self.name} "
                         f"API does not use (it reads {', '.join(self.option_keys)})")
        if not isinstance(options.get("params", {}), dict):
            found.append("provider_options.params must be a table")
        if model.category not in self.categories:
            found.append(f"the {self.name} API makes {' or '.join(self.categories)}, "
                         f"not {model.category}")
        if self.needs_model_id and not model.provider_model:
            found.append(f"provider_model (Kie's model id) is required for the {self.name} API")
        if not self.needs_model_id and model.provider_model:
            found.append(f"the {self.name} API takes no model id: remove provider_model")
        prompt = next((f for f in model.inputs if f.name == "prompt"), None)
        if self.needs_prompt and (prompt is None or prompt.type != "text" or prompt.optional):
            found.append(f"the {self.name} API needs a text input named 'prompt' that is not optional")
        images = [f for f in model.inputs if f.type == "image"]
        if len(images) > self.max_images:
            found.append(f"the {self.name} API takes at most {self.max_images} image(s), "
                         f"the model asks for {len(images)}")
        for field in model.inputs:
            if field.name == "aspect_ratio" and self.aspect_field is None:
                found.append(f"the {self.name} API has no aspect ratio")
            if field.name == "aspect_ratio" and self.aspect_ratios is not None:
                wrong = [c for c in field.choices if c not in self.aspect_ratios]
                if wrong or field.type != "choice":
                    found.append(f"input 'aspect_ratio' must be a choice among "
                                 f"{', '.join(self.aspect_ratios)}, not {', '.join(wrong) or field.type}")
            if field.name in _params(model):
                found.append(f"input '{field.name}' is also fixed in provider_options.params")
        limit = self.prompt_limit(model)
        if prompt is not None and limit is not None and prompt.max_length > limit:
            found.append(f"input 'prompt': max_length {prompt.max_length} is over the "
                         f"{limit} characters Kie accepts here")
        return found

    def unlisted_model_id(self, model) -> bool:
        return self.model_ids is not None and model.provider_model not in self.model_ids

    def prompt_limit(self, model) -> int | None:
        return None

    # -- creating -------------------------------------------------------------------

    def path(self, model) -> str:
        return self.create_path

    def fields(self, model, inputs: TaskInputs) -> dict:
        """The model-specific fields: prompt, aspect ratio, images, other inputs, params."""
        out = {}
        if inputs.prompt is not None:
            out["prompt"] = inputs.prompt
        aspect_field = self.aspect_field_of(model)
        if inputs.aspect_ratio is not None and aspect_field:
            out[aspect_field] = inputs.aspect_ratio
        field, as_list = self.image_field_of(model)
        if inputs.image_urls and field:
            out[field] = list(inputs.image_urls) if as_list else inputs.image_urls[0]
        out.update(inputs.other)
        out.update(_params(model))
        return out

    def aspect_field_of(self, model) -> str | None:
        """Where the aspect_ratio input goes."""
        return self.aspect_field

    def image_field_of(self, model) -> tuple[str | None, bool]:
        """Where photos go, and whether that field is a list of URLs."""
        return self.image_field, self.image_is_list

    def body(self, model, inputs: TaskInputs, callback_url: str | None) -> dict:
        """The dedicated APIs take one flat camelCase body."""
        body = self.fields(model, inputs)
        if self.needs_model_id:
            body["model"] = model.provider_model
        if callback_url:
            body["callBackUrl"] = callback_url
        return body

    @staticmethod
    def task_id(body) -> str:
        task_id = _data(body).get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise MalformedAnswer("no data.taskId in the answer")
        return task_id

    # -- reading --------------------------------------------------------------------

    def read_record(self, body, model) -> GenerationOutput | None:
        """A poll answer: the output, None while the task runs; raises GenerationFailed."""
        raise NotImplementedError

    def read_callback(self, body, model) -> tuple[str | None, GenerationOutput | GenerationFailed | None]:
        """A callback: (its task id, the output, a failure, or None for a progress stage)."""
        raise NotImplementedError


class Market(Family):
    """POST /api/v1/jobs/createTask ``{model, callBackUrl, input: {…}}`` (the fields of
    each model's page); GET /api/v1/jobs/recordInfo: ``data.state`` and ``resultJson``,
    a JSON string holding ``resultUrls``. The callback carries the same record. The
    image field differs by model: ``image_field`` names a single-URL field
    (``image_url``), ``image_list_field`` a list (``input_urls``, ``image_urls``, 4o
    Image's ``files_url``); ``aspect_field`` the aspect ratio's field where it is not
    ``aspect_ratio`` (4o Image's ``size``)."""

    name = "market"
    create_path = "/api/v1/jobs/createTask"
    poll_path = "/api/v1/jobs/recordInfo"
    max_images = 16
    categories = ("image", "video", "audio")
    needs_prompt = False  # e.g. upscalers take only a picture
    option_keys = ("api", "params", "image_field", "image_list_field", "aspect_field", "prompt_limit")
    RUNNING = ("waiting", "queuing", "generating")

    def problems(self, model):
        found = super().problems(model)
        options = model.provider_options
        single, many = options.get("image_field"), options.get("image_list_field")
        images = [f for f in model.inputs if f.type == "image"]
        if single and many:
            found.append("give image_field (one URL) or image_list_field (a list), not both")
        elif images and not (single or many):
            found.append("the model takes a photo: name Kie's field for it in image_field "
                         "(one URL) or image_list_field (a list of URLs)")
        elif single and len(images) > 1:
            found.append("image_field takes one URL; use image_list_field for several photos")
        for key in ("image_field", "image_list_field", "aspect_field"):
            if key in options and not (isinstance(options[key], str) and options[key]):
                found.append(f"provider_options.{key} must be a field name")
        limit = options.get("prompt_limit")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            found.append("provider_options.prompt_limit must be a whole number of characters")
        return found

    def prompt_limit(self, model):
        limit = model.provider_options.get("prompt_limit")
        return limit if isinstance(limit, int) and not isinstance(limit, bool) else None

    def aspect_field_of(self, model):
        return model.provider_options.get("aspect_field") or self.aspect_field

    def image_field_of(self, model):
        options = model.provider_options
        if options.get("image_list_field"):
            return options["image_list_field"], True
        return options.get("image_field"), False

    def body(self, model, inputs, callback_url):
        body = {"model": model.provider_model}
        if callback_url:
            body["callBackUrl"] = callback_url
        body["input"] = self.fields(model, inputs)
        return body

    def _record(self, record, model):
        state = record.get("state")
        if state in self.RUNNING:
            return None
        if state == "success":
            raw = record.get("resultJson")
            try:
                result = json.loads(raw) if isinstance(raw, str) else raw
            except ValueError:
                raise MalformedAnswer("resultJson is not JSON") from None
            if not isinstance(result, dict):
                raise MalformedAnswer("resultJson is not an object")
            return _output(model, result.get("resultUrls"))
        if state == "fail":
            raise task_failed(record.get("failCode"), record.get("failMsg"))
        raise MalformedAnswer(f"unknown state {state!r}")

    def read_record(self, body, model):
        return self._record(_data(body), model)

    def read_callback(self, body, model):
        record = _data(body)
        try:
            return record.get("taskId"), self._record(record, model)
        except GenerationFailed as exc:
            return record.get("taskId"), exc


class _FlagFamily(Family):
    """Flux Kontext and Veo: ``successFlag`` 0 generating, 1 success, 2 failed (create),
    3 failed (generation); callbacks carry no state, only ``code`` and ``data.info``."""

    def result_of(self, response):
        raise NotImplementedError

    def read_record(self, body, model):
        data = _data(body)
        flag = data.get("successFlag")
        if flag == 0:
            return None
        if flag == 1:
            return _output(model, self.result_of(data.get("response") or {}))
        if flag in (2, 3):
            raise task_failed(data.get("errorCode") or flag, data.get("errorMessage"))
        raise MalformedAnswer(f"unknown successFlag {flag!r}")

    def read_callback(self, body, model):
        data = _data(body)
        code = body.get("code")
        if code != 200:
            return data.get("taskId"), task_failed(code, body.get("msg"))
        return data.get("taskId"), _output(model, self.result_of(data.get("info") or {}))


class FluxKontext(_FlagFamily):
    """POST /api/v1/flux/kontext/generate (flat: prompt, aspectRatio, model, inputImage,
    callBackUrl); GET /api/v1/flux/kontext/record-info; ``response.resultImageUrl``
    (``info.resultImageUrl`` in the callback). Prompts are translated to English unless
    ``enableTranslation`` is false."""

    name = "flux-kontext"
    create_path = "/api/v1/flux/kontext/generate"
    poll_path = "/api/v1/flux/kontext/record-info"
    aspect_field = "aspectRatio"
    aspect_ratios = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
    model_ids = ("flux-kontext-pro", "flux-kontext-max")
    image_field = "inputImage"
    image_is_list = False
    max_images = 1

    def result_of(self, response):
        return response.get("resultImageUrl")


class Veo(_FlagFamily):
    """POST /api/v1/veo/generate (flat: prompt, model, aspectRatio, imageUrls,
    callBackUrl); GET /api/v1/veo/record-info; ``response.resultUrls`` (``info.resultUrls``
    in the callback, sometimes a "[url]" string)."""

    name = "veo"
    create_path = "/api/v1/veo/generate"
    poll_path = "/api/v1/veo/record-info"
    aspect_field = "aspectRatio"
    aspect_ratios = ("16:9", "9:16", "Auto")
    model_ids = ("veo3", "veo3_fast", "veo3_lite")
    image_field = "imageUrls"
    max_images = 3
    categories = ("video",)

    def result_of(self, response):
        return response.get("resultUrls")


class FourOImageOld(Family):
    """Kie's old version of the 4o Image API (the current one is a Market model,
    ``4o-image-api``). POST /api/v1/gpt4o-image/generate (flat: filesUrl, prompt, size —
    required, 1:1, 3:2 or 2:3 — callBackUrl; no model id); GET
    /api/v1/gpt4o-image/record-info at most 3 times a second per task: ``status``
    GENERATING, SUCCESS, CREATE_TASK_FAILED, GENERATE_FAILED and
    ``response.resultUrls``; the callback has ``info.result_urls``."""

    name = "4o-image-old"
    create_path = "/api/v1/gpt4o-image/generate"
    poll_path = "/api/v1/gpt4o-image/record-info"
    aspect_field = "size"
    aspect_ratios = ("1:1", "3:2", "2:3")
    image_field = "filesUrl"
    max_images = 5
    needs_model_id = False
    needs_prompt = False  # a prompt or a photo
    min_poll_interval_s = 0.5
    FAILED = ("CREATE_TASK_FAILED", "GENERATE_FAILED")

    def problems(self, model):
        found = super().problems(model)
        if "size" not in _params(model) and not any(f.name == "aspect_ratio" for f in model.inputs):
            found.append("the old 4o Image API requires size: add an aspect_ratio input or params.size")
        return found

    @staticmethod
    def _result(response):
        # The detail page says resultUrls, its quickstart result_urls: read both.
        return response.get("resultUrls") or response.get("result_urls")

    def read_record(self, body, model):
        data = _data(body)
        status, flag = data.get("status"), data.get("successFlag")
        if status == "GENERATING" or status is None and flag == 0:
            return None
        if status == "SUCCESS" or status is None and flag == 1:
            return _output(model, self._result(data.get("response") or {}))
        if status in self.FAILED or status is None and flag == 2:
            raise task_failed(data.get("errorCode") or status, data.get("errorMessage"))
        raise MalformedAnswer(f"unknown status {status!r}")

    def read_callback(self, body, model):
        data = _data(body)
        if body.get("code") != 200:
            return data.get("taskId"), task_failed(body.get("code"), body.get("msg"))
        return data.get("taskId"), _output(model, self._result(data.get("info") or {}))


class Suno(Family):
    """POST /api/v1/generate (prompt, customMode, instrumental, model, callBackUrl —
    required); GET /api/v1/generate/record-info at most 3 times a second per task:
    ``status`` PENDING, TEXT_SUCCESS, FIRST_SUCCESS, SUCCESS or a failure, the tracks in
    ``response.sunoData[].audioUrl``. Callbacks come in stages (``callbackType`` text,
    first, complete, error) and in snake_case (``data.task_id``, ``data.data[].audio_url``).
    Without customMode the prompt is at most 500 characters."""

    name = "suno"
    create_path = "/api/v1/generate"
    poll_path = "/api/v1/generate/record-info"
    aspect_field = None
    model_ids = ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V5_5")
    categories = ("audio",)
    needs_callback = True
    min_poll_interval_s = 0.5
    RUNNING = ("PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS")
    FAILED = ("CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "SENSITIVE_WORD_ERROR")

    def problems(self, model):
        found = super().problems(model)
        params = _params(model)
        for key in ("customMode", "instrumental"):
            if not isinstance(params.get(key), bool):
                found.append(f"Kie requires {key}: set it (true or false) in provider_options.params")
        if params.get("customMode"):
            given = set(params) | {f.name for f in model.inputs}
            missing = [k for k in ("style", "title") if k not in given]
            if missing:
                found.append(f"custom mode needs {' and '.join(missing)} (an input or a param)")
        return found

    def prompt_limit(self, model):
        if not _params(model).get("customMode"):
            return 500
        return 3000 if model.provider_model == "V4" else 5000

    def read_record(self, body, model):
        data = _data(body)
        status = data.get("status")
        if status in self.RUNNING:
            return None
        tracks = (data.get("response") or {}).get("sunoData") or []
        urls = [t.get("audioUrl") for t in tracks if isinstance(t, dict)]
        if status == "SUCCESS":
            return _output(model, urls)
        if status == "CALLBACK_EXCEPTION" and _urls(urls):
            return _output(model, urls)  # only telling us failed; the music is there
        if status in self.FAILED or status == "CALLBACK_EXCEPTION":
            raise task_failed(data.get("errorCode") or status, data.get("errorMessage"))
        raise MalformedAnswer(f"unknown status {status!r}")

    def read_callback(self, body, model):
        data = _data(body)
        task_id = data.get("task_id") or data.get("taskId")
        stage = data.get("callbackType")
        if body.get("code") != 200 or stage == "error":
            return task_id, task_failed(body.get("code"), data.get("error") or body.get("msg"))
        if stage != "complete":
            return task_id, None
        tracks = data.get("data") or []
        return task_id, _output(model, [t.get("audio_url") for t in tracks if isinstance(t, dict)])


class Chat(Family):
    """POST /{model}/v1/chat/completions, OpenAI-shaped and synchronous: the model id in
    the path, the answer in ``choices[0].message.content`` (or, streamed, in
    ``choices[0].delta.content`` of each event). Gemini streams unless ``stream`` is
    false: set it in params."""

    name = "chat"
    aspect_field = None
    max_images = 5
    categories = ("text",)
    synchronous = True

    def problems(self, model):
        found = super().problems(model)
        extra = [f.name for f in model.inputs if f.name != "prompt" and f.type != "image"]
        if extra:
            found.append(f"a chat takes a prompt and photos only, not {', '.join(extra)}")
        return found

    def path(self, model):
        return f"/{model.provider_model}/v1/chat/completions"

    def body(self, model, inputs, callback_url):
        content = [{"type": "text", "text": inputs.prompt or ""}]
        content += [{"type": "image_url", "image_url": {"url": url}} for url in inputs.image_urls]
        return {"messages": [{"role": "user", "content": content}], **_params(model)}

    @staticmethod
    def read_answer(body) -> GenerationOutput:
        if "events" in body:
            text = "".join((((e.get("choices") or [{}])[0].get("delta") or {}).get("content") or "")
                           for e in body["events"] if isinstance(e, dict))
        else:
            choices = body.get("choices")
            message = choices[0].get("message") if isinstance(choices, list) and choices \
                and isinstance(choices[0], dict) else None
            text = message.get("content") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise MalformedAnswer("no answer text in choices[0]")
        return GenerationOutput("text", text=text.strip())


FAMILIES: dict[str, Family] = {f.name: f for f in (Market(), FluxKontext(), FourOImageOld(), Veo(),
                                                   Suno(), Chat())}
# Former names, still read: {name: (the family's name now, why it changed)}.
RENAMED = {"4o-image": ("4o-image-old", "Kie now documents 4o Image on the Market API "
                        "(docs.kie.ai/4o-image-api/generate-4-o-image) and calls this route "
                        "the old version; to move, set api = \"market\", provider_model = "
                        "\"4o-image-api\", image_list_field = \"files_url\", aspect_field = \"size\"")}


def family_of(model) -> Family | None:
    api = model.provider_options.get("api")
    if not isinstance(api, str):
        return None
    return FAMILIES.get(RENAMED[api][0] if api in RENAMED else api)
