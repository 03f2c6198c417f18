"""Driving the shipped kie models the way a user does, and what each should send to Kie."""

from __future__ import annotations

PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF a user's photo"
KIE_SETTINGS = {"poll_initial_s": "0.3", "poll_max_s": "0.6", "max_retries": "2",
                "request_timeout_s": "5.0"}

# For each shipped kie model: the user's answers (text, ("choice", i) or ("photo", file id)),
# the Kie route it creates its task on, and how the result reaches the user.
SHIPPED = {
    "flux-kontext": ([("photo", "ph-flux"), "неоновый город ночью", ("choice", 1)],
                     "/api/v1/flux/kontext/generate", "sendPhoto"),
    "gpt-image": ([("photo", "ph-gpt"), "сделай фон синим", ("choice", 1)],
                  "/api/v1/jobs/createTask", "sendPhoto"),
    "veo3-fast": ([("photo", "ph-veo"), "волны накатывают на берег", ("choice", 1)],
                  "/api/v1/veo/generate", "sendVideo"),
    "kling-video": ([("photo", "ph-kling"), "кот машет лапой"],
                    "/api/v1/jobs/createTask", "sendVideo"),
    "suno-music": (["весёлая поп-песня о летнем море"], "/api/v1/generate", "sendAudio"),
    "gpt-text": (["Сколько планет в Солнечной системе?"], "/gpt-5-2/v1/chat/completions",
                 "sendMessage"),
}


def kie_toml(standin, **extra) -> str:
    settings = {"api_key": f'"{standin.key}"', "base_url": f'"{standin.api_url}"',
                "upload_base_url": f'"{standin.upload_url}"',
                **KIE_SETTINGS, **extra}
    return "[kie]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())


def add_photos(bot_api) -> None:
    for answers, _route, _method in SHIPPED.values():
        for given in answers:
            if isinstance(given, tuple) and given[0] == "photo":
                bot_api.add_file(given[1], PHOTO)
