"""A stand-in for Kie.ai over real HTTP, written from Kie's documentation.

Kie has two hosts, so the stand-in listens twice: ``api_url`` (api.kie.ai) and
``upload_url`` (kieai.redpandaai.co, the File Upload API). Routes, bodies, states and
codes come from these pages (docs.kie.ai unless said otherwise, read in 2026):

Every API ("Getting Started", https://docs.kie.ai):
- ``Authorization: Bearer <key>``; a wrong key gets
  ``{"code":401,"msg":"You do not have access permissions"}``;
- "Up to 20 new generation requests per 10 seconds … rejected with HTTP 429";
  record-info pages: "Maximum query rate: 10 requests per second per API key", with
  the HTTP 429 body ``{"code":429,"msg":"Rate limit exceeded"}`` of the OpenAPI;
- errors are codes inside an HTTP 200 body (each page's code enum sits under
  ``responses: '200'``): 401, 402 insufficient credits, 404, 422 validation, 429, 455
  maintenance, 500, 501 generation failed, 505 feature disabled. ``refuse(route, …)``
  makes the next calls answer so.
Market (/market/common/get-task-detail; /market/kling/v2-1-pro;
/market/gpt-image/1.5-image-to-image, /market/gpt-image/1-5-text-to-image; 4o Image,
/4o-image-api/generate-4-o-image, "the new version of the API documentation"):
- ``POST /api/v1/jobs/createTask`` ``{model, callBackUrl, input}`` →
  ``{"code":200,"msg":"success","data":{"taskId":…}}``;
- ``GET /api/v1/jobs/recordInfo?taskId=`` → ``data.state`` waiting → queuing →
  generating → success | fail; ``resultJson`` is a JSON string with ``resultUrls``;
  ``failCode`` (a string) and ``failMsg``; these answers say ``message``, not ``msg``;
- the callback is the record with ``consumeCredits``, ``remainedCredits``, ``msg``
  "Playground task completed successfully." (code 200) or "Playground task failed."
  (code 501);
- 4o Image is ``model: "4o-image-api"``, ``input``: ``size`` required (1:1, 3:2, 2:3),
  ``prompt`` and ``files_url`` (at most 5 URLs), at least one of the two; ``file_url``
  (deprecated); the page's request example also sends ``isEnhance``, ``uploadCn``,
  ``enableFallback`` and ``fallbackModel`` inside ``input``.
Flux Kontext (/flux-kontext-api/generate-or-edit-image, /get-image-details,
/generate-or-edit-image-callbacks): ``POST /api/v1/flux/kontext/generate`` (flat:
prompt required, aspectRatio 21:9 16:9 4:3 1:1 3:4 9:16, model flux-kontext-pro |
flux-kontext-max, inputImage, callBackUrl, …); ``GET …/record-info``: ``successFlag`` 0
generating, 1 success (``response.resultImageUrl``), 2 create failed, 3 generation
failed (``errorCode``, ``errorMessage``); callback ``{code, msg: "BFL image generated
successfully.", data: {taskId, info: {originImageUrl, resultImageUrl}}}``, no state.
The old version of 4o Image (/old-model/4o-image-api/generate-4-o-image,
/get-4-o-image-details, /generate-4-o-image-callbacks): ``POST
/api/v1/gpt4o-image/generate`` (size required:
1:1 3:2 2:3; prompt or filesUrl, at most 5 files; no model); ``GET …/record-info``
"3 times per second per task": ``status`` GENERATING (``progress``, ``response`` null,
``successFlag`` 0) → SUCCESS (``response.resultUrls``); callback ``data.info.result_urls``.
Veo 3.1 (/veo3-api/generate-veo-3-video, /get-veo-3-video-details,
/generate-veo-3-video-callbacks): ``POST /api/v1/veo/generate`` (prompt required, model
veo3 | veo3_fast | veo3_lite, aspectRatio 16:9 9:16 Auto, imageUrls); ``GET
…/record-info``: successFlag as Flux, ``response.resultUrls``; callback "Veo3.1 video
generated successfully." with ``data.info.resultUrls``.
Suno (/suno-api/generate-music, /get-music-details, /generate-music-callbacks):
``POST /api/v1/generate`` (prompt, customMode, instrumental, model V4 … V5_5 and
callBackUrl, "required for all music generation requests"; without custom mode the
prompt is at most 500 characters, with it 3000 (V4) or 5000); ``GET
/api/v1/generate/record-info`` "3 requests per second per task": PENDING → TEXT_SUCCESS
→ FIRST_SUCCESS → SUCCESS, tracks in ``response.sunoData[].audioUrl``; callbacks per
stage (``callbackType`` text, first, complete; error) in snake_case: ``data.task_id``,
``data.data[].audio_url``.
Chat (/market/chat/gpt-5-2, /market/chat/gemini): ``POST /{model}/v1/chat/completions``,
the model in the path; an OpenAI ``chat.completion`` with ``choices[0].message.content``;
``"stream": true`` answers ``text/event-stream``, ``data: {json}`` lines; errors as HTTP
statuses with ``{"error": {"message", "type"}}``.
File Upload (/file-upload-api/upload-file-stream): ``POST /api/file-stream-upload``,
multipart ``file``, ``uploadPath`` (required), ``fileName`` →
``{"success":true,"code":200,"msg":"File uploaded successfully","data":{fileName,
filePath, downloadUrl, fileSize, mimeType, uploadedAt}}``; errors as HTTP statuses
(400 ``Missing required parameter: uploadPath``, 401 ``Authentication failed: Invalid
API Key``).

The documented schemas are enforced: a missing required field, a value outside an enum
or a field the schema does not have is refused with code 422 ("validation error").
Kie might ignore an unknown field; refusing it is how the tests see a misspelt one.

Webhook Security Verification (/common-api/webhook-verification): with the account's
Webhook HMAC key on (``webhook_hmac_key``), every callback carries
``X-Webhook-Timestamp`` (Unix seconds) and ``X-Webhook-Signature`` =
``base64(HMAC-SHA256(taskId + "." + timestamp, webhookHmacKey))``, taskId being the
callback body's task id; without the key, no such headers.

A task moves one stage every ``stage_s`` seconds. When it ends, a task with a
``callBackUrl`` is called back with its family's documented body (``send_callbacks``);
``poll_lag_s`` keeps polls from seeing the end for that long, so a test can tell which
path finished a job. Every request, to either host, is kept in ``log``.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import hmac
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass

import requests

from genbot.testing.standin import HttpStandIn, Reply, Request

FILES = "https://tempfile.kie.test"  # where results "live"; nothing fetches them


@dataclass
class Task:
    family: str
    task_id: str
    body: dict
    created: float
    stages: tuple  # the running stages, in order
    fails: bool
    callback_url: str | None
    prompt: str = ""
    polled_final: bool = False  # a poll has seen it end
    finished_at: float = 0.0


# -- the documented schemas: field -> check (None when fine, else the problem) ---------------

def _is_str(value):
    return None if isinstance(value, str) else "must be a string"


def _is_bool(value):
    return None if isinstance(value, bool) else "must be a boolean"


def _is_number(value):
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "must be a number"


def _one_of(*allowed):
    return lambda value: None if value in allowed else f"must be one of {', '.join(map(str, allowed))}"


def _urls(most):
    def check(value):
        if not isinstance(value, list) or not value or len(value) > most \
                or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in value):
            return f"must be a list of 1 to {most} URLs"
        return None
    return check


def _url(value):
    return None if isinstance(value, str) and value.startswith(("http://", "https://")) else "must be a URL"


def _anything(value):
    return None


MARKET_INPUTS = {
    # /market/kling/v2-1-pro
    "kling/v2-1-pro": ({"prompt": _is_str, "image_url": _url},
                       {"duration": _one_of("5", "10"), "negative_prompt": _is_str,
                        "cfg_scale": _is_number, "tail_image_url": _is_str}, 5000),
    # /market/gpt-image/1.5-image-to-image
    "gpt-image/1.5-image-to-image": ({"input_urls": _urls(16), "prompt": _is_str,
                                      "aspect_ratio": _one_of("1:1", "2:3", "3:2"),
                                      "quality": _one_of("medium", "high")}, {}, None),
    # /market/gpt-image/1-5-text-to-image
    "gpt-image/1.5-text-to-image": ({"prompt": _is_str, "aspect_ratio": _one_of("1:1", "2:3", "3:2"),
                                     "quality": _one_of("medium", "high")}, {}, None),
    # /4o-image-api/generate-4-o-image (prompt or files_url: checked in _validate)
    "4o-image-api": ({"size": _one_of("1:1", "3:2", "2:3")},
                     {"prompt": _is_str, "files_url": _urls(5), "file_url": _url, "isEnhance": _is_bool,
                      "uploadCn": _is_bool, "enableFallback": _is_bool,
                      "fallbackModel": _one_of("GPT_IMAGE_1", "FLUX_MAX")}, None),
}
FLUX_FIELDS = ({"prompt": _is_str},
               {"enableTranslation": _is_bool, "inputImage": _url, "outputFormat": _one_of("jpeg", "png"),
                "aspectRatio": _one_of("21:9", "16:9", "4:3", "1:1", "3:4", "9:16"),
                "promptUpsampling": _is_bool, "model": _one_of("flux-kontext-pro", "flux-kontext-max"),
                "callBackUrl": _url, "safetyTolerance": _is_number, "uploadCn": _is_bool,
                "watermark": _is_str})
FOUR_O_FIELDS = ({"size": _one_of("1:1", "3:2", "2:3")},
                 {"prompt": _is_str, "filesUrl": _urls(5), "fileUrl": _url, "maskUrl": _url,
                  "nVariants": _one_of(1, 2, 4), "callBackUrl": _url, "isEnhance": _is_bool,
                  "uploadCn": _is_bool, "enableFallback": _is_bool,
                  "fallbackModel": _one_of("GPT_IMAGE_1", "FLUX_MAX")})
VEO_FIELDS = ({"prompt": _is_str},
              {"model": _one_of("veo3", "veo3_fast", "veo3_lite"), "imageUrls": _urls(3),
               "generationType": _one_of("TEXT_2_VIDEO", "FIRST_AND_LAST_FRAMES_2_VIDEO",
                                         "REFERENCE_2_VIDEO"),
               "aspectRatio": _one_of("16:9", "9:16", "Auto"), "resolution": _one_of("720p", "1080p", "4k"),
               "duration": _one_of(4, 6, 8), "enableTranslation": _is_bool, "watermark": _is_str,
               "callBackUrl": _url, "enableFallback": _is_bool, "seeds": _is_number})
SUNO_MODELS = ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V5_5")
SUNO_FIELDS = ({"customMode": _is_bool, "instrumental": _is_bool, "model": _one_of(*SUNO_MODELS),
                "callBackUrl": _url},
               {"prompt": _is_str, "style": _is_str, "title": _is_str, "negativeTags": _is_str,
                "vocalGender": _one_of("m", "f"), "styleWeight": _is_number,
                "weirdnessConstraint": _is_number, "audioWeight": _is_number, "personaId": _is_str,
                "personaModel": _one_of("style_persona", "voice_persona"), "duration": _is_number})
CHAT_MODELS = ("gpt-5-2", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-3-pro", "gemini-3.1-pro",
               "gemini-3-flash")
CHAT_FIELDS = ({"messages": lambda v: None if isinstance(v, list) and v else "must list messages"},
               {"tools": _anything, "reasoning_effort": _one_of("low", "high"), "stream": _is_bool,
                "include_thoughts": _is_bool, "response_format": _anything})


def schema_problem(body, required: dict, optional: dict) -> str | None:
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    for name, check in required.items():
        if name not in body:
            return f"{name} is required"
        problem = check(body[name])
        if problem:
            return f"{name} {problem}"
    for name, value in body.items():
        if name in required:
            continue
        if name not in optional:
            return f"{name} is not a parameter of this API"
        problem = optional[name](value)
        if problem:
            return f"{name} {problem}"
    return None


# -- the stages and the answers of each family -------------------------------------------------

STAGES = {"market": ("waiting", "queuing", "generating"), "flux-kontext": (0, 0),
          "4o-image-old": ("0.00", "0.48"), "veo": (0, 0),
          "suno": ("PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS")}
POLL_PATHS = {"/api/v1/jobs/recordInfo": "market", "/api/v1/flux/kontext/record-info": "flux-kontext",
              "/api/v1/gpt4o-image/record-info": "4o-image-old", "/api/v1/veo/record-info": "veo",
              "/api/v1/generate/record-info": "suno"}
CREATE_PATHS = {"/api/v1/jobs/createTask": "market", "/api/v1/flux/kontext/generate": "flux-kontext",
                "/api/v1/gpt4o-image/generate": "4o-image-old", "/api/v1/veo/generate": "veo",
                "/api/v1/generate": "suno"}
PER_TASK_LIMIT = {"4o-image-old": 3, "suno": 3}  # queries a second per task
_CHAT_PATH = re.compile(r"^/([A-Za-z0-9._-]+)/v1/chat/completions$")


def result_urls(task: Task) -> list[str]:
    if task.family == "suno":
        return [f"{FILES}/{task.task_id}/track-{i}.mp3" for i in (1, 2)]
    extension = "mp4" if task.family == "veo" or task.body.get("model", "").startswith("kling") else "png"
    return [f"{FILES}/{task.task_id}/result.{extension}"]


def record(task: Task, stage) -> dict:
    """``data`` of a record-info answer at ``stage`` (one of STAGES, or "end")."""
    urls = result_urls(task)
    if task.family == "market":
        data = {"taskId": task.task_id, "model": task.body["model"], "param": json.dumps(task.body),
                "createTime": int(task.created * 1000), "updateTime": int(time.time() * 1000),
                "resultJson": "", "failCode": "", "failMsg": "", "completeTime": None}
        if stage != "end":
            return dict(data, state=stage)
        if task.fails:
            return dict(data, state="fail", failCode="422",
                        failMsg="Invalid prompt: prompt contains prohibited content",
                        completeTime=int(time.time() * 1000))
        return dict(data, state="success", resultJson=json.dumps({"resultUrls": urls}),
                    completeTime=int(time.time() * 1000))
    if task.family in ("flux-kontext", "veo"):
        data = {"taskId": task.task_id, "paramJson": json.dumps(task.body), "response": None,
                "successFlag": 0, "errorCode": None, "errorMessage": "", "createTime": "2025-06-06 10:25:00"}
        if stage != "end":
            return data
        if task.fails:
            return dict(data, successFlag=3, errorCode=501, errorMessage="Image generation task failed"
                        if task.family == "flux-kontext" else "Video generation task failed")
        response = ({"originImageUrl": task.body.get("inputImage", ""), "resultImageUrl": urls[0]}
                    if task.family == "flux-kontext" else
                    {"taskId": task.task_id, "resultUrls": urls, "resolution": "720p"})
        return dict(data, successFlag=1, response=response, completeTime="2025-06-06 10:30:00")
    if task.family == "4o-image-old":
        data = {"taskId": task.task_id, "paramJson": json.dumps(task.body), "response": None,
                "successFlag": 0, "status": "GENERATING", "errorCode": None, "errorMessage": "",
                "createTime": int(task.created * 1000), "progress": stage if stage != "end" else "1.00"}
        if stage != "end":
            return data
        if task.fails:
            return dict(data, successFlag=2, status="GENERATE_FAILED", errorCode=400,
                        errorMessage="content flagged as violating policies")
        return dict(data, successFlag=1, status="SUCCESS", response={"resultUrls": urls},
                    completeTime=int(time.time() * 1000))
    # suno
    tracks = [{"id": f"{task.task_id}-{i}", "audioUrl": url if stage in ("end",) else "",
               "streamAudioUrl": f"{url}.stream", "imageUrl": url.replace(".mp3", ".jpeg"),
               "prompt": task.prompt, "modelName": "chirp-v4", "title": "Song", "tags": "pop",
               "createTime": "2025-01-01 00:00:00", "duration": 198.44}
              for i, url in enumerate(urls, 1)]
    data = {"taskId": task.task_id, "parentMusicId": "", "param": json.dumps(task.body),
            "response": None, "status": stage, "type": "GENERATE", "errorCode": None,
            "errorMessage": None}
    if stage == "FIRST_SUCCESS":
        data["response"] = {"taskId": task.task_id, "sunoData": tracks}
    if stage != "end":
        return data
    if task.fails:
        return dict(data, status="GENERATE_AUDIO_FAILED", errorCode=400,
                    errorMessage="lyrics contained copyrighted material")
    return dict(data, status="SUCCESS", response={"taskId": task.task_id, "sunoData": tracks})


def callback_bodies(task: Task) -> list[tuple[float, dict]]:
    """(seconds after creation, body) of each callback the task sends."""
    end = len(task.stages) * 1.0  # in stages; scaled by the stand-in
    urls = result_urls(task)
    if task.family == "market":
        data = record(task, "end")
        data.update(consumeCredits=0 if task.fails else 100, costTime=8, remainedCredits=2510330)
        return [(end, {"code": 501 if task.fails else 200, "data": data,
                       "msg": "Playground task failed." if task.fails
                       else "Playground task completed successfully."})]
    if task.family == "flux-kontext":
        if task.fails:
            body = {"code": 501, "msg": "Image generation task failed",
                    "data": {"taskId": task.task_id, "info": {"originImageUrl": "", "resultImageUrl": ""}}}
        else:
            body = {"code": 200, "msg": "BFL image generated successfully.",
                    "data": {"taskId": task.task_id, "info": {
                        "originImageUrl": task.body.get("inputImage", ""), "resultImageUrl": urls[0]}}}
        return [(end, body)]
    if task.family == "4o-image-old":
        if task.fails:
            return [(end, {"code": 400, "msg": "content flagged as violating policies",
                           "data": {"taskId": task.task_id, "info": None}})]
        return [(end, {"code": 200, "msg": "success",
                       "data": {"taskId": task.task_id, "info": {"result_urls": urls}}})]
    if task.family == "veo":
        if task.fails:
            return [(end, {"code": 501, "msg": "Video generation task failed",
                           "data": {"taskId": task.task_id, "fallbackFlag": False}})]
        return [(end, {"code": 200, "msg": "Veo3.1 video generated successfully.",
                       "data": {"taskId": task.task_id, "info": {
                           "resultUrls": urls, "originUrls": [], "resolution": "720p"},
                           "fallbackFlag": False}})]
    tracks = [{"id": f"{task.task_id}-{i}", "audio_url": url, "stream_audio_url": f"{url}.stream",
               "image_url": url.replace(".mp3", ".jpeg"), "prompt": task.prompt,
               "model_name": "chirp-v4", "title": "Song", "tags": "pop",
               "createTime": 1786343609818, "duration": 198.44} for i, url in enumerate(urls, 1)]
    if task.fails:
        return [(end, {"code": 501, "msg": "Audio generation failed.",
                       "data": {"callbackType": "error", "task_id": task.task_id,
                                "error": "Generation failed due to technical issues"}})]
    return [(1.0, {"code": 200, "msg": "Text generated successfully.",
                   "data": {"callbackType": "text", "task_id": task.task_id, "data": []}}),
            (2.0, {"code": 200, "msg": "First track generated successfully.",
                   "data": {"callbackType": "first", "task_id": task.task_id,
                            "data": [dict(tracks[0], audio_url="")]}}),
            (end, {"code": 200, "msg": "All generated successfully.",
                   "data": {"callbackType": "complete", "task_id": task.task_id, "data": tracks}})]


def chat_answer(model: str, body: dict) -> str:
    """What the stand-in "answers": it repeats the question, so a test can see it arrive."""
    content = body["messages"][-1].get("content")
    if isinstance(content, list):
        content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return f"{model} answers: {content}"


class KieStandIn(HttpStandIn):
    def __init__(self, key: str = "kie-test-key", *, stage_s: float = 0.15):
        super().__init__()
        self.key = key
        self.stage_s = stage_s
        self.send_callbacks = True
        self.poll_lag_s = 0.0
        self.fail_tasks = False
        self.create_limit = (20, 10.0)  # "20 new generation requests per 10 seconds"
        self.poll_limit = (10, 1.0)  # "10 requests per second per API key"
        self.webhook_hmac_key: str | None = None  # the account's, when switched on at Kie
        self.callback_sender = self._post_callback  # (url, body, headers) -> HTTP status
        self.tasks: dict[str, Task] = {}
        self.uploads: dict[str, dict] = {}
        self.callbacks: list[dict] = []  # url, body, status
        self.limit_hits: list[tuple[str, str]] = []  # (what, task id or "")
        self.refusals: dict[str, deque] = {}
        self._creates: deque = deque()
        self._polls: deque = deque()
        self._task_polls: dict[str, deque] = {}
        self._counter = 0
        self.api_url = self.listen("api")
        self.upload_url = self.listen("upload")

    # -- knobs ------------------------------------------------------------------------

    def refuse(self, route: str, *codes: int) -> None:
        """The next calls to ``route`` (create, poll, upload, chat) are refused with these
        codes, one call each: inside an HTTP 200 body, as the task APIs document their
        errors; as the HTTP status for chat, as the chat pages do."""
        with self.lock:
            self.refusals.setdefault(route, deque()).extend(codes)

    def requests_to(self, path: str) -> list[Request]:
        with self.lock:
            return [c for c in self.log if c.path == path]

    # -- HTTP -------------------------------------------------------------------------

    def serve(self, request: Request, reply: Reply) -> None:
        reply.send(*self._route(request))

    def _route(self, call: Request):
        json_type = "application/json"
        if call.host == "upload":
            if call.method == "GET" and call.path.startswith("/files/"):
                upload = self.uploads.get(self.upload_url + call.path)
                if upload is None:
                    return 404, b"", "text/plain"
                return 200, upload["data"], upload["mime"]
            if call.header("Authorization") != f"Bearer {self.key}":
                return 401, {"success": False, "code": 401,
                             "msg": "Authentication failed: Invalid API Key"}, json_type
            if call.method == "POST" and call.path == "/api/file-stream-upload":
                return self._upload(call)
            return 404, {"success": False, "code": 404, "msg": "Not found"}, json_type
        if call.header("Authorization") != f"Bearer {self.key}":
            return 401, {"code": 401, "msg": "You do not have access permissions"}, json_type
        try:
            body = json.loads(call.body) if call.body else None
        except ValueError:
            return 200, {"code": 400, "msg": "the body is not valid JSON"}, json_type
        chat = _CHAT_PATH.match(call.path)
        if call.method == "POST" and chat:
            return self._chat(chat.group(1), body)
        if call.method == "POST" and call.path in CREATE_PATHS:
            return self._create(CREATE_PATHS[call.path], body)
        if call.method == "GET" and call.path in POLL_PATHS:
            return self._poll(POLL_PATHS[call.path], call.query.get("taskId", [""])[0])
        return 404, {"code": 404, "msg": "Not Found"}, json_type

    def _refusal(self, route: str):
        with self.lock:
            pending = self.refusals.get(route)
            code = pending.popleft() if pending else None
        if code is None:
            return None
        messages = {402: "Insufficient credits", 429: "Rate limited", 455: "Service unavailable: "
                    "the system is under maintenance", 500: "Server error", 401: "Unauthorized",
                    422: "Validation error", 501: "Generation failed", 505: "Feature disabled"}
        return 200, {"code": code, "msg": messages.get(code, "error"), "data": None}, "application/json"

    @staticmethod
    def _over(calls: deque, limit: tuple[int, float]) -> bool:
        count, window = limit
        now = time.monotonic()
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) >= count:
            return True
        calls.append(now)
        return False

    def _create(self, family: str, body):
        refused = self._refusal("create")
        if refused:
            return refused
        with self.lock:
            if self._over(self._creates, self.create_limit):
                self.limit_hits.append(("create", ""))
                return 429, {"code": 429, "msg": "Rate limit exceeded"}, "application/json"
        problem, prompt = self._validate(family, body)
        if problem:
            return 200, {"code": 422, "msg": problem, "data": None}, "application/json"
        with self.lock:
            self._counter += 1
            task_id = f"task_{family}_{self._counter}"
            task = Task(family, task_id, body, time.monotonic(), STAGES[family], self.fail_tasks,
                        body.get("callBackUrl"), prompt or "")
            task.finished_at = task.created + len(task.stages) * self.stage_s
            self.tasks[task_id] = task
            self.lock.notify_all()
        if task.callback_url:
            for after, callback in callback_bodies(task):
                timer = threading.Timer(after * self.stage_s, self._call_back, (task, callback))
                timer.daemon = True
                timer.start()
        return 200, {"code": 200, "msg": "success", "data": {"taskId": task_id}}, "application/json"

    def _validate(self, family: str, body) -> tuple[str | None, str | None]:
        """The documented schema's verdict, and the prompt."""
        if family == "market":
            if not isinstance(body, dict):
                return "the body must be a JSON object", None
            problem = schema_problem(body, {"model": _is_str, "input": lambda v: None if isinstance(v, dict)
                                            else "must be an object"}, {"callBackUrl": _url})
            if problem:
                return problem, None
            if body["model"] not in MARKET_INPUTS:
                return f"model {body['model']} is not supported", None
            required, optional, prompt_max = MARKET_INPUTS[body["model"]]
            problem = schema_problem(body["input"], required, optional)
            prompt = body["input"].get("prompt")
            if not problem and prompt_max and len(prompt) > prompt_max:
                problem = f"prompt is longer than {prompt_max} characters"
            if not problem and body["model"] == "4o-image-api" and not prompt \
                    and not body["input"].get("files_url"):
                problem = "prompt or files_url is required"
            return problem, prompt
        required, optional = {"flux-kontext": FLUX_FIELDS, "4o-image-old": FOUR_O_FIELDS,
                              "veo": VEO_FIELDS, "suno": SUNO_FIELDS}[family]
        problem = schema_problem(body, required, optional)
        if problem:
            return problem, None
        prompt = body.get("prompt")
        if family == "4o-image-old" and not prompt and not body.get("filesUrl"):
            return "prompt or filesUrl is required", None
        if family == "suno":
            if body["customMode"]:
                needed = ("style", "title") if body["instrumental"] else ("style", "prompt", "title")
                missing = [n for n in needed if not body.get(n)]
                if missing:
                    return f"custom mode requires {', '.join(missing)}", None
                limit = 3000 if body["model"] == "V4" else 5000
            else:
                if not prompt:
                    return "prompt is required", None
                limit = 500
            if prompt and len(prompt) > limit:
                return f"prompt is longer than {limit} characters", None
        return None, prompt

    def _poll(self, family: str, task_id: str):
        refused = self._refusal("poll")
        if refused:
            return refused
        with self.lock:
            if self._over(self._polls, self.poll_limit):
                self.limit_hits.append(("poll", task_id))
                return 429, {"code": 429, "msg": "Rate limit exceeded"}, "application/json"
            per_task = PER_TASK_LIMIT.get(family)
            if per_task and self._over(self._task_polls.setdefault(task_id, deque()), (per_task, 1.0)):
                self.limit_hits.append(("task", task_id))
                return 200, {"code": 429, "msg": "Rate limited"}, "application/json"
            task = self.tasks.get(task_id)
            if task is None or task.family != family:
                return 200, {"code": 404, "msg": "Task not found"}, "application/json"
            now = time.monotonic()
            if now >= task.finished_at + self.poll_lag_s:
                stage = "end"
                task.polled_final = True
            else:
                index = min(int((now - task.created) / self.stage_s), len(task.stages) - 1)
                stage = task.stages[index]
        answer = {"code": 200, "data": record(task, stage)}
        answer["message" if family == "market" else "msg"] = "success"
        return 200, answer, "application/json"

    def _chat(self, model: str, body):
        if model not in CHAT_MODELS:
            return 404, {"error": {"message": f"model {model} not found", "type": "invalid_request_error"}}, \
                "application/json"
        refused = self._refusal("chat")
        if refused:  # the chat pages document HTTP statuses with an OpenAI-style error
            code = refused[1]["code"]
            kind = {400: "invalid_request_error", 401: "authentication_error",
                    429: "rate_limit_error"}.get(code, "server_error")
            return code, {"error": {"message": refused[1]["msg"], "type": kind}}, "application/json"
        problem = schema_problem(body, *CHAT_FIELDS)
        if problem:
            return 400, {"error": {"message": problem, "type": "invalid_request_error"}}, "application/json"
        text = chat_answer(model, body)
        if body.get("stream"):
            words = text.split(" ")
            events = [{"id": "chatcmpl-standin", "object": "chat.completion.chunk", "model": model,
                       "choices": [{"index": 0, "delta": {"content": w + (" " if i < len(words) - 1 else "")},
                                    "finish_reason": None}]} for i, w in enumerate(words)]
            events.append({"id": "chatcmpl-standin", "object": "chat.completion.chunk", "model": model,
                           "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            return 200, stream.encode(), "text/event-stream"
        return 200, {"id": "chatcmpl-standin", "object": "chat.completion", "created": int(time.time()),
                     "model": model, "choices": [{"index": 0, "message": {
                         "role": "assistant", "content": text, "refusal": None, "annotations": []},
                         "logprobs": None, "finish_reason": "stop"}],
                     "usage": {"prompt_tokens": 10, "completion_tokens": 50, "total_tokens": 60}}, \
            "application/json"

    def _upload(self, call: Request):
        refused = self._refusal("upload")
        if refused:
            return refused
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + call.header("Content-Type", "").encode() + b"\r\n\r\n" + call.body)
        fields, upload = {}, None
        for part in message.iter_parts() if message.is_multipart() else ():
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                upload = (part.get_filename(), part.get_payload(decode=True),
                          part.get_content_type())
            elif name:
                fields[name] = part.get_payload(decode=True).decode()
        if not fields.get("uploadPath"):
            return 400, {"success": False, "code": 400,
                         "msg": "Missing required parameter: uploadPath"}, "application/json"
        if upload is None:
            return 400, {"success": False, "code": 400, "msg": "Missing required parameter: file"}, \
                "application/json"
        name = fields.get("fileName") or upload[0] or f"file-{len(self.uploads) + 1}"
        path = f"{fields['uploadPath'].strip('/')}/{name}"
        url = f"{self.upload_url}/files/{path}"
        with self.lock:
            self.uploads[url] = {"data": upload[1], "mime": upload[2], "name": name, "path": path}
            self.lock.notify_all()
        return 200, {"success": True, "code": 200, "msg": "File uploaded successfully",
                     "data": {"fileName": name, "filePath": path, "downloadUrl": url,
                              "fileSize": len(upload[1]), "mimeType": upload[2],
                              "uploadedAt": "2025-01-01T12:00:00.000Z"}}, "application/json"

    # -- callbacks ----------------------------------------------------------------------

    def signed_headers(self, task_id: str, timestamp: int | None = None) -> dict:
        """The headers Kie adds to a callback of ``task_id`` when the account's Webhook
        HMAC key is on (none when it is off)."""
        if not self.webhook_hmac_key:
            return {}
        timestamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(self.webhook_hmac_key.encode(), f"{task_id}.{timestamp}".encode(),
                          hashlib.sha256).digest()
        return {"X-Webhook-Timestamp": str(timestamp),
                "X-Webhook-Signature": base64.b64encode(digest).decode()}

    def call_back_now(self, task_id: str) -> None:
        """Send the task's callbacks now, as Kie would when it ends (``send_callbacks``
        aside), e.g. after a test has tried forged ones."""
        task = self.tasks[task_id]
        for _after, body in callback_bodies(task):
            self._call_back(task, body, force=True)

    def _call_back(self, task: Task, body: dict, force: bool = False) -> None:
        if not (self.send_callbacks or force):
            return
        try:
            status = self.callback_sender(task.callback_url, body, self.signed_headers(task.task_id))
        except requests.RequestException as exc:
            status = f"{type(exc).__name__}"
        with self.lock:
            self.callbacks.append({"url": task.callback_url, "body": body, "status": status,
                                   "task": task.task_id})
            self.lock.notify_all()

    @staticmethod
    def _post_callback(url: str, body: dict, headers: dict):
        # "Timeout Setting: 15 seconds" (each family's callbacks page)
        return requests.post(url, json=body, headers=headers, timeout=15).status_code
