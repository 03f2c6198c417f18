"""A plugin offering buttons under results and top-ups the way plugins do now
(``genbot.InlineButton``, with ``ButtonData`` and with a URL), the way the previous
release's did (pyTelegramBotAPI's button), and one thing that is no button at all."""

from dataclasses import dataclass

from telebot import types

from genbot import ButtonData, InlineButton, hookimpl


@dataclass(frozen=True)
class Rate(ButtonData):
    code = "rate"
    job_id: int
    stars: int = 5


@hookimpl
def result_buttons(result):
    return [InlineButton("⭐ Оценить", Rate(result["id"])),
            InlineButton("🔗 Галерея", url=f"https://gallery.example/jobs/{result['id']}"),
            types.InlineKeyboardButton("📜 Старая кнопка", callback_data=f"old:{result['id']}"),
            "💩 не кнопка"]


@hookimpl
def topup_buttons(user_id, missing):
    return [InlineButton("🏦 Оплата на сайте", url=f"https://pay.example/u/{user_id}"),
            types.InlineKeyboardButton("📜 Старое пополнение", callback_data="oldpay")]
