"""The bot's public face in Telegram: its command list and its descriptions.

At start (``genbot serve`` with a token) genbot calls ``setMyCommands`` — the commands
in the "/" menu: start, help, balance, history, cancel, paysupport, terms —
``setMyDescription`` (what an empty chat shows) and ``setMyShortDescription`` (the
profile), once for the default language and once per other language of the catalog
(``language_code``). A refusal is logged and serving goes on: these are courtesies.
"""

from __future__ import annotations

import logging

from core import logs
from core.bot.texts import DEFAULT_LANGUAGE, language, languages, t

log = logging.getLogger("genbot.profile")

COMMANDS = ("start", "help", "balance", "history", "cancel", "paysupport", "terms")


def commands() -> list[dict]:
    """The "/" menu in the current language."""
    return [{"command": name, "description": t(f"cmd_{name}")} for name in COMMANDS]


def publish(telegram) -> None:
    """Tell Telegram the commands and descriptions, in every language of the catalog."""
    for lang in languages():
        scope = {} if lang == DEFAULT_LANGUAGE else {"language_code": lang}
        with language(lang):
            calls = (("setMyCommands", {"commands": commands(), **scope}),
                     ("setMyDescription", {"description": t("bot_description"), **scope}),
                     ("setMyShortDescription", {"short_description": t("bot_short_description"),
                                                **scope}))
        for method, params in calls:
            try:
                telegram.call(method, params)
            except Exception as exc:
                log.warning("%s (%s) failed: %s", method, lang, logs.first_line(exc))
    log.info("bot commands and descriptions set in %s", ", ".join(languages()))
