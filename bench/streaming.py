"""A streamed text answer, from the provider's first token to the user's screen.

    python -m bench.streaming [--tokens 2000] [--rate 50] [--runs 1]

One user orders a text model of the ``openai`` provider; the OpenAI stand-in writes
``--tokens`` tokens at ``--rate`` tokens a second over real HTTP (Server-Sent Events),
and the Bot API stand-in records every call the bot makes. Printed, per run:

- first words: from the stand-in sending the first token to the Bot API receiving the
  edit that shows it (the issue's target: under 1 s);
- edits: editMessageText and sendMessage calls carrying the answer while it was written,
  against what Telegram allows in one chat (about one message a second: the answer's
  duration in seconds, plus one per extra 4,096-character page), and the largest
  number of those calls in any one second;
- the whole answer: from the last token to the final text (with its price line) shown.
"""

from __future__ import annotations

import argparse
import tempfile
from decimal import Decimal
from pathlib import Path

from bench.harness import BenchPostgres, machine
from core.app import App
from core.config import load_config
from core.host.plugin_host import PluginHost
from core.serve.web import create_web_app
from genbot.testing import updates
from genbot.testing.app import SECRET, TOKEN, exchange
from genbot.testing.bot_api import BotApiStandIn
from genbot.testing.waiting import wait_until
from tests.support.flows import draft
from tests.support.openai_standin import OpenAIStandIn, token

USER = 77
CATALOG = '''
[[model]]
id = "chat"
title = "Чат"
category = "text"
provider = "openai"
provider_model = "gpt-4o-mini"
usage_price = { input_per_1k_rub = "0.03", output_per_1k_rub = "0.12", max_tokens = 4000 }
timeout_s = 600
inputs = [{ name = "prompt", type = "text", label = "Ваш вопрос" }]
'''


def make_app(settings, bot_api_url: str, openai_url: str, key: str) -> App:
    folder = Path(tempfile.mkdtemp())
    (folder / "plugins.toml").write_text(f'[openai]\napi_key = "{key}"\nbase_url = "{openai_url}"\n')
    (folder / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    env = {"BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": SECRET, "TELEGRAM_API_URL": bot_api_url,
           "PLUGINS_FILE": str(folder / "plugins.toml"), "CATALOG_FILE": str(folder / "catalog.toml"),
           "PLUGIN_PROBE_INTERVAL": "0", "LOG_LEVEL": "WARNING", "JOB_WORKERS": "2"}
    config = load_config(env)  # Telegram's own limits stay on: 30/s, 1/s a chat
    return App(config, settings, plugins=PluginHost(config.plugins_file, env=env).load())


def one_run(settings, tokens: int, rate: float) -> dict:
    bot_api, openai = BotApiStandIn().start(), OpenAIStandIn(answer_tokens=tokens, tokens_per_s=rate).start()
    app = make_app(settings, bot_api.url, openai.url, openai.key)
    client = create_web_app(app).test_client()
    try:
        app.start_workers()
        app.balances.credit(USER, "1000.00")
        send = lambda update: exchange(client, bot_api, update)  # noqa: E731
        token_text = draft(send, USER, "chat", "Напиши длинный рассказ о море")
        before = len(bot_api.calls)
        send(updates.callback(USER, f"gen:go:{token_text}"))
        job_id = wait_until(lambda: app.db.fetch_one(
            "SELECT id FROM generation_jobs WHERE user_id = %s AND notified", (USER,)),
            tokens / rate + 60, "the answer was not delivered")[0]
        job = app.jobs.get(job_id)
        first_word = token(0).strip()
        calls = list(zip(bot_api.calls[before:], bot_api.call_times[before:], strict=True))
        carrying = [(at, method) for (method, params), at in calls
                    if method in ("editMessageText", "sendMessage") and first_word in str(params.get("text", ""))
                    or method == "sendMessage" and str(params.get("chat_id")) == str(USER)
                    and "море" in str(params.get("text", ""))]
        shown_first = next(at for at, _method in carrying)
        first_token = openai.first_token_at[0]
        duration = tokens / rate
        writing = [at for at, _method in carrying[:-1]]  # the last one is the final text
        busiest = max((sum(1 for t in writing if s <= t < s + 1) for s in writing), default=0)
        pages = len(job.result["text"]) // 4096 + 1
        return {"first_words_s": shown_first - first_token, "calls": len(writing),
                "allowed": int(duration) + pages, "busiest_second": busiest,
                "final_s": carrying[-1][0] - (first_token + duration), "pages": pages,
                "charged": job.price_rub, "chars": len(job.result["text"])}
    finally:
        app.close()
        openai.stop()
        bot_api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    pg = BenchPostgres().start()
    try:
        for run in range(args.runs):
            settings = pg.create(f"bench_streaming_{run}", template="bench_template")
            figures = one_run(settings, args.tokens, args.rate)
            print(f"run {run + 1}: {args.tokens} tokens at {args.rate:g}/s ({figures['chars']} characters, "
                  f"{figures['pages']} page(s)), charged {Decimal(figures['charged'])} ₽")
            print(f"  first words shown {figures['first_words_s'] * 1000:.0f} ms after the first token")
            print(f"  {figures['calls']} Bot API calls carried the answer while it was written; Telegram's "
                  f"pace allows {figures['allowed']} (at most {figures['busiest_second']} in any one second)")
            print(f"  the final text shown {figures['final_s'] * 1000:.0f} ms after the last token")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
