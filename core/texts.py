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
        "admin_user_usage": "Укажите id пользователя: /user 123456789",
        "admin_user_unknown": "Пользователь {user_id} не найден.",
        "admin_adjust_usage": "Формат: /adjust <id> <+сумма|-сумма> <причина, от 3 символов>",
        "admin_adjust_bad_amount": "Сумма не подходит: {error}",
        "admin_adjust_short": "Нельзя списать больше баланса ({balance} ₽).",
        "admin_adjusted": "Баланс {user_id} изменён на {change} ₽, теперь {balance} ₽. Запись в журнале сделана.",
        "payments_unavailable": "Оплата сейчас недоступна. Попробуйте позже.",
        # generation
        "btn_free": "🎁 Бесплатные",
        "gen_category": "{title}: выберите модель.",
        "gen_free_list": "🎁 Бесплатные модели — до {quota} генераций в день, сегодня осталось {left}.",
        "gen_free_list_offline": "🎁 Бесплатные модели.",
        "gen_price_free": "бесплатно",
        "gen_price": "{price} ₽",
        "gen_model_card": "{title}\n{description}Стоимость: {price}",
        "gen_ask_text": "✏️ {label} (до {limit} символов).",
        "gen_ask_choice": "🔘 {label}:",
        "gen_ask_image": "🖼 {label}. Пришлите фото или ссылку http(s)://…",
        "gen_btn_skip": "Пропустить",
        "gen_btn_cancel": "❌ Отмена",
        "gen_btn_go": "✅ Запустить — {price}",
        "gen_btn_repeat": "🔁 Повторить",
        "gen_btn_menu": "🏠 Меню",
        "gen_btn_cancel_job": "⛔ Отменить генерацию",
        "gen_text_too_long": "Текст длиннее {limit} символов ({length}). Сократите его и отправьте снова.",
        "gen_text_empty": "Нужен текст. Отправьте его сообщением или нажмите «Отмена».",
        "gen_image_bad": "Нужна картинка: пришлите фото или ссылку, начинающуюся с http:// или https://.",
        "gen_choice_bad": "Выберите один из вариантов кнопкой ниже.",
        "gen_confirm": "Проверьте и запустите:\n\n{model}\n{inputs}\n\nСтоимость: {price}",
        "gen_confirm_balance": "Ваш баланс: {balance} ₽",
        "gen_confirm_free_left": "Бесплатных генераций сегодня осталось: {left}",
        "gen_started": "⏳ Генерация запущена: {model}. Пришлю результат, как только он будет готов.",
        "gen_running": "🎨 Генерирую: {model}…",
        "gen_already": "Эта генерация уже запущена.",
        "gen_no_funds": "❌ Недостаточно средств: нужно {price} ₽, на балансе {balance} ₽.\nПополните баланс в разделе 💰 Баланс.",
        "gen_too_many": "⏳ Одновременно в работе может быть не больше {limit} генераций. Дождитесь, пока одна закончится, и нажмите «Запустить» ещё раз.",
        "gen_quota": "🎁 Бесплатные генерации на сегодня закончились ({quota} из {quota}). Платные модели доступны, а бесплатные вернутся завтра.",
        "gen_photo_unsupported": "Модель «{model}» сейчас не может принять фото. Выберите другую модель в меню.",
        "gen_model_gone": "Эта модель сейчас недоступна. Выберите другую в меню.",
        "gen_draft_gone": "Этот черновик устарел. Выберите модель заново.",
        "gen_done_paid": "✅ {model}: готово. Списано {price} ₽.",
        "gen_done_free": "✅ {model}: готово. Бесплатно.",
        "gen_failed": "😔 {model}: не получилось ({reason}). Деньги не списаны.",
        "gen_failed_free": "😔 {model}: не получилось ({reason}). Бесплатная попытка не потрачена.",
        "gen_timeout": "⌛ {model}: время вышло. Деньги возвращены на баланс.",
        "gen_timeout_free": "⌛ {model}: время вышло. Бесплатная попытка не потрачена.",
        "gen_lost": "⚠️ {model}: генерация прервалась из-за сбоя. Деньги возвращены на баланс.",
        "gen_cancelled": "Генерация отменена. Деньги не списаны.",
        "gen_cannot_cancel": "Эту генерацию уже не отменить.",
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
