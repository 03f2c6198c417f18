"""The yardstick: pyTelegramBotAPI's Flask webhook example, doing genbot's database work.

Shaped like the library's `examples/webhook_examples` Flask bot — a module-level
TeleBot, a `/start` handler that answers with `bot.send_message`, a Flask route that
feeds `process_new_updates` — served by gunicorn gthread. Two changes make it a fair
comparison: the bot runs with `threaded=False`, so an update is handled (and its reply
sent) before the webhook answers, as genbot does; and the handler does the same
database work as genbot (drop a repeated update_id, upsert the user and their balance
row) through a psycopg2 pool, one transaction per statement as plain code does.
"""

import os

import psycopg2.pool
import telebot
from flask import Flask, request
from telebot import apihelper, types

apihelper.API_URL = os.environ["TELEGRAM_API_URL"] + "/bot{0}/{1}"
bot = telebot.TeleBot(os.environ["BOT_TOKEN"], threaded=False)
app = Flask(__name__)
_pool = None


def pool():
    global _pool
    if _pool is None:  # after gunicorn's fork
        _pool = psycopg2.pool.ThreadedConnectionPool(5, 20, os.environ["DATABASE_DSN"])
    return _pool


def run(sql, params):
    conn = pool().getconn()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            count = cur.rowcount
        conn.commit()
        return count
    finally:
        pool().putconn(conn)


UPSERT = """
WITH upserted AS (
    INSERT INTO users (user_id, username, first_name, last_name) VALUES (%s, %s, %s, %s)
    ON CONFLICT (user_id) DO UPDATE SET username = EXCLUDED.username,
        first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, updated_at = NOW()
)
INSERT INTO balances (user_id, balance_rub) VALUES (%s, 0) ON CONFLICT (user_id) DO NOTHING
"""

menu = types.ReplyKeyboardMarkup(resize_keyboard=True)
menu.add(types.KeyboardButton("💰 Баланс"), types.KeyboardButton("🆘 Помощь"))


@bot.message_handler(commands=["start"])
def send_welcome(message):
    user = message.from_user
    run(UPSERT, (user.id, user.username, user.first_name, user.last_name, user.id))
    bot.send_message(message.chat.id, f"👋 Привет, {user.first_name}!", reply_markup=menu)


@app.route("/webhook", methods=["POST"])
def webhook():
    update = types.Update.de_json(request.get_data().decode("utf-8"))
    if run("INSERT INTO processed_updates (update_id) VALUES (%s) ON CONFLICT DO NOTHING",
           (update.update_id,)) == 1:
        bot.process_new_updates([update])
    return ""
