"""demo: an offline, deterministic provider, so the bot works with no keys and no network.

The same prompt always gives the same result: a PNG for image models, a GIF animation
for video, a WAV tone for audio, a text for text models. Two words in a prompt make
it misbehave on purpose, for trying the failure paths: ``!fail`` fails the job and
``!slow`` runs past the model's timeout. It is a ``demo`` provider: while a real one
runs, its models are listed to admins only.
"""

from __future__ import annotations

import hashlib
import time

from genbot import (
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationTimeout,
    OutputFile,
    hookimpl,
)
from plugins.providers import media

_SIZES = {"1:1": (64, 64), "16:9": (96, 54), "9:16": (54, 96), "4:3": (80, 60)}
_PHRASES = [
    "Идея проста и понятна с первого взгляда.",
    "Главное здесь — внимание к деталям.",
    "Такой подход экономит время и силы.",
    "Результат легко проверить на практике.",
    "Начните с малого и двигайтесь постепенно.",
    "Хорошая история всегда начинается с вопроса.",
]


class DemoProvider:
    name = "demo"
    offline = True
    demo = True

    def __init__(self, delay_s: float = 0.2):
        self.delay_s = delay_s

    def generate(self, request) -> GenerationOutput:
        prompt = str(request.inputs.get("prompt", ""))
        if "!fail" in prompt:
            raise GenerationFailed("demo_fail", "the demo provider failed on purpose (!fail in the prompt)")
        if "!slow" in prompt:
            self._wait(request, request.time_left() + 1)
        self._wait(request, self.delay_s)
        return render(request.model.category, prompt, request.inputs)

    @staticmethod
    def _wait(request, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            if request.job_id and request.finished():
                raise FinishedElsewhere()
            if request.time_left() <= 0:
                raise GenerationTimeout()
            time.sleep(min(0.05, max(0.0, until - time.monotonic())))


def _seed(prompt: str) -> bytes:
    return hashlib.sha256(prompt.encode("utf-8")).digest()


def render(category: str, prompt: str, inputs: dict) -> GenerationOutput:
    seed = _seed(prompt)
    if category == "image":
        width, height = _SIZES.get(str(inputs.get("aspect_ratio")), (64, 64))
        picture = media.diagonal_gradient_png(width, height, seed[:3], seed[3:6])
        return GenerationOutput("image", files=(OutputFile("genbot.png", picture, "image/png"),))
    if category == "video":
        palette = [(seed[i % 32], seed[(i + 7) % 32], (i * 2) % 256) for i in range(128)]
        frames = [[(x + y + shift * 8) % 128 for y in range(32) for x in range(32)]
                  for shift in range(6)]
        return GenerationOutput("animation", files=(OutputFile("genbot.gif", media.gif(32, 32, palette, frames),
                                                               "image/gif"),))
    if category == "audio":
        frequency = 220 + int.from_bytes(seed[:2], "big") % 660
        return GenerationOutput("audio", files=(OutputFile("genbot.wav", media.wav(frequency), "audio/wav"),))
    sentences = [_PHRASES[b % len(_PHRASES)] for b in seed[:3]]
    tone = inputs.get("tone")
    heading = f"«{prompt[:200]}»" + (f" ({tone})" if tone else "")
    return GenerationOutput("text", text=heading + "\n\n" + " ".join(sentences))


@hookimpl
def plugin_settings():
    return {"delay_s": 0.2}


@hookimpl
def generation_providers(app, settings):
    return [DemoProvider(delay_s=float(settings["delay_s"]))]
