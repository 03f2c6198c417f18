"""Every word the bot says to users, in one place, keyed for a second language.

``t("key", **values)`` returns the text in the current language (Russian today).
Plugins add their own keys with ``register_texts``; a missing key falls back to
Russian, then to the key itself, so a typo shows up instead of crashing an update.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "ru"

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        # The seed's words: shown whenever a feature's table or the database is missing.
        "db_unavailable": "⚠️ База временно недоступна",
        "btn_balance": "💰 Баланс",
        "btn_help": "🆘 Помощь",
        "welcome": (
            "👋 Привет, {name}!\n\n"
            "Я генерирую изображения, видео, аудио и тексты нейросетями. "
            "Часть моделей бесплатна, платные списывают рубли с баланса.\n\n"
            "Выберите действие в меню ниже."
        ),
        "welcome_back": "С возвращением, {name}! Главное меню ниже.",
        "help": (
            "ℹ️ Как пользоваться ботом\n\n"
            "• Кнопки меню внизу открывают разделы.\n"
            "• /balance — баланс и зарезервированные суммы.\n"
            "• /cancel — отменить текущее действие и вернуться в меню.\n"
            "• /help — эта справка.\n\n"
            "Если что-то пошло не так, нажмите /start."
        ),
        "balance": "💰 Ваш баланс: {balance} ₽",
        "balance_with_held": "💰 Ваш баланс: {balance} ₽\n⏳ Зарезервировано под генерации: {held} ₽",
        "cancelled": "Действие отменено. Главное меню ниже.",
        "unknown_text": "Я не понял сообщение. Выберите действие кнопками меню или нажмите /help.",
        "unknown_command": "Такой команды нет. Список команд — /help.",
        "stale_button": "Эта кнопка устарела. Откройте меню заново: /start",
        "handler_failed": "😔 Что-то пошло не так. Попробуйте ещё раз или нажмите /start.",
        "menu_placeholder": "Выберите действие",
    },
}

_current = DEFAULT_LANGUAGE


def t(key: str, lang: str | None = None, **values) -> str:
    """The text for ``key`` with ``values`` filled in."""
    table = TEXTS.get(lang or _current) or TEXTS[DEFAULT_LANGUAGE]
    template = table.get(key) or TEXTS[DEFAULT_LANGUAGE].get(key) or key
    return template.format(**values) if values else template


def register_texts(language: str, texts: dict[str, str]) -> None:
    """Add or override texts (plugins and translations); existing keys are replaced."""
    TEXTS.setdefault(language, {}).update(texts)
