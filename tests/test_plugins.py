"""The plugin host: states, plugins.toml, isolation, degradation and recovery in process."""

from __future__ import annotations

import logging
import os
from decimal import Decimal

import pytest

from core.host.plugin_host import DEGRADED, DISABLED, ENABLED, FAILED, PluginHost, read_plugins_file
from genbot.testing import updates
from genbot.testing.app import make_app, post_update
from plugins.payments.credit import credit_payment

UNAVAILABLE = "⚠️ База временно недоступна"
METRICS_TOKEN = "plugins-test-metrics-token"


@pytest.fixture
def served(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, ADMIN_IDS="900",
                           METRICS_TOKEN=METRICS_TOKEN)
    yield app, client
    app.close()


def states(app) -> dict:
    return {p.name: p.state for p in app.plugins.plugins.values()}


def labels(body) -> list[str]:
    return [b["text"] for row in body["reply_markup"]["keyboard"] for b in row]


def test_builtin_plugins_load_enabled_with_their_buttons(served):
    app, client = served
    assert states(app) == {"generation_events": ENABLED, "projects": ENABLED, "referrals": ENABLED,
                           "payments": ENABLED, "demo": ENABLED, "kie": ENABLED,
                           "openai": ENABLED, "replicate": ENABLED, "fal": ENABLED, "notes": ENABLED}
    body = post_update(client, updates.message(1, "/start")).get_json()
    assert {"💼 Мои проекты", "🤝 Партнёрка", "💳 Пополнить", "💰 Баланс", "🆘 Помощь"} <= set(labels(body))
    assert app.plugins.summary() == "plugins: 10 loaded, 10 enabled"


@pytest.mark.parametrize("table,plugin,press", [
    ("projects", "projects", "💼 Мои проекты"),
    ("project_history", "projects", "💼 Мои проекты"),
    ("referrals", "referrals", "🤝 Партнёрка"),
    ("generation_events", "generation_events", "/stats"),
])
def test_a_missing_table_degrades_only_its_plugin_and_it_comes_back(served, caplog, table, plugin, press):
    app, client = served
    app.db.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    caplog.set_level(logging.WARNING)
    app.plugins.probe(app.db)
    app.plugins.probe(app.db)  # a second probe in the same outage says nothing new
    assert states(app)[plugin] == DEGRADED
    assert app.plugins.plugins[plugin].reason == f"table {table} missing"
    assert [r.getMessage() for r in caplog.records].count(
        f"{table} table missing: plugin {plugin} degraded until `genbot migrate` brings it back") == 1
    assert post_update(client, updates.message(900, press)).get_json()["text"] == UNAVAILABLE
    # the rest of the bot is untouched
    assert "Привет" in post_update(client, updates.message(900, "/start")).get_json()["text"]
    assert "Ваш баланс" in post_update(client, updates.message(900, "💰 Баланс")).get_json()["text"]
    ready = client.get("/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).get_json()
    assert ready["status"] == "ready"
    assert ready["plugins"][plugin] == {"state": "degraded", "reason": f"table {table} missing"}

    app.db.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    app.plugins.probe(app.db)
    assert states(app)[plugin] == ENABLED
    assert post_update(client, updates.message(900, press)).get_json()["text"] != UNAVAILABLE


def test_a_table_dropped_while_serving_is_caught_on_first_use(served):
    app, client = served
    app.db.execute("DROP TABLE project_history")
    body = post_update(client, updates.message(2, "💼 Мои проекты")).get_json()
    assert body["text"] in (UNAVAILABLE,) or "Проектов" in body["text"]
    post_update(client, updates.callback(2, "prj:new"))
    post_update(client, updates.message(2, "Мой проект"))  # needs project_history: degrades now
    assert states(app)["projects"] == DEGRADED
    assert post_update(client, updates.message(2, "💼 Мои проекты")).get_json()["text"] == UNAVAILABLE


def test_users_dropped_while_serving_the_process_answers_the_message(served):
    app, client = served
    app.db.execute("DROP TABLE users CASCADE")
    response = post_update(client, updates.message(3, "/balance"))
    assert response.status_code == 200
    assert response.get_json()["text"] == UNAVAILABLE
    assert post_update(client, updates.message(3, "/start")).status_code == 200
    assert client.get("/readyz").status_code == 503


def test_user_cache_is_cleared_when_the_users_table_returns(served):
    app, client = served
    post_update(client, updates.message(4, "/start"))
    assert app.user_cache.known(4)
    app.db.execute("DROP TABLE users CASCADE")
    app.plugins.probe(app.db)
    from core.ops.migrations import Migrator
    Migrator(app.db.settings).apply()
    app.plugins.probe(app.db)
    assert not app.user_cache.known(4)
    post_update(client, updates.callback(4, "prj:new"))
    post_update(client, updates.message(4, "После восстановления"))
    assert app.db.fetch_one("SELECT count(*) FROM projects WHERE user_id = 4") == (1,)


def test_disabled_plugin_has_no_buttons_and_unknown_names_warn(db_settings, bot_api, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=(
        "[referrals]\nenabled = false\n\n[nosuch]\nenabled = true\n\n[projects]\ncolour = 'red'\n"))
    try:
        assert states(app)["referrals"] == DISABLED
        body = post_update(client, updates.message(5, "/start")).get_json()
        assert "🤝 Партнёрка" not in labels(body)
        assert "💼 Мои проекты" in labels(body)
        assert "unknown plugin [nosuch]" in caplog.text
        assert "[projects] has no setting 'colour'" in caplog.text
        # An old keyboard's button of a switched-off plugin is text like any other: a prompt.
        assert "Что создать по описанию «🤝 Партнёрка»?" in post_update(
            client, updates.message(5, "🤝 Партнёрка")).get_json()["text"]
    finally:
        app.close()


def test_a_broken_plugins_file_runs_everything_with_defaults(db_settings, bot_api, tmp_path, caplog):
    app, _ = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml="[projects\nenabled = ")
    try:
        assert set(states(app).values()) == {ENABLED}
        assert "is not valid TOML" in caplog.text
    finally:
        app.close()


def test_settings_are_typed_and_secrets_come_from_the_environment(tmp_path):
    path = tmp_path / "plugins.toml"
    path.write_text('[bad_settings]\nlimit = "ten"\n')
    host = PluginHost(path, env={}).load(extra=("tests.support.plugins.bad_settings",))
    assert host.plugins["bad_settings"].state == FAILED
    assert "setting limit must be int" in host.plugins["bad_settings"].reason
    assert host.plugins["projects"].state == ENABLED

    path.write_text('[bad_settings]\nlimit = 3\ntoken = { env = "NOTES_TOKEN" }\n')
    host = PluginHost(path, env={"NOTES_TOKEN": "s3cr3t"}).load(extra=("tests.support.plugins.bad_settings",))
    assert host.plugins["bad_settings"].settings == {"limit": 3, "token": "s3cr3t"}

    host = PluginHost(path, env={}).load(extra=("tests.support.plugins.bad_settings",))
    assert host.plugins["bad_settings"].state == FAILED
    assert "NOTES_TOKEN is not set" in host.plugins["bad_settings"].reason


def test_a_plugin_that_fails_to_import_is_listed_failed(tmp_path):
    host = PluginHost(tmp_path / "none.toml", env={}).load(extra=("tests.support.plugins.missing_module",))
    failed = host.plugins["missing_module"]
    assert failed.state == FAILED and "ModuleNotFoundError" in failed.reason
    assert host.plugins["projects"].state == ENABLED
    assert "1 failed" in host.summary()


def test_a_plugin_whose_hooks_raise_is_isolated(db_settings, bot_api, tmp_path, caplog):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path,
                           extra_plugins=("tests.support.plugins.unruly",),
                           REFERRALS_UNUSED="1")
    try:
        body = post_update(client, updates.message(6, "💥 Взрыв")).get_json()
        assert "Что-то пошло не так" in body["text"]
        assert "unruly handler explode failed" in caplog.text
        # a payload reader that raises does not stop /start, nor the referrals plugin
        post_update(client, updates.message(7, "/start"))
        body = post_update(client, updates.message(8, "/start ref_7")).get_json()
        assert "Привет" in body["text"]
        assert app.db.fetch_one("SELECT referrer_id FROM referrals WHERE referred_id = 8") == (7,)
        assert "plugin unruly: hook start_payload failed" in caplog.text
        # a balance listener that raises does not undo the money, nor stop other plugins
        # hearing of the payment (the referrer's 10 % share)
        credit_payment(app, source="provider", external_id="unruly-1", user_id=8,
                       amount_rub=Decimal("100.00"))
        assert app.balances.get(8) == Decimal("100.00")
        assert "plugin unruly: hook balance_changed failed" in caplog.text
        assert app.db.fetch_one("SELECT reward_rub FROM referrals WHERE referred_id = 8") == (Decimal("10.00"),)
    finally:
        app.close()


def test_load_plugins_switch_limits_what_loads(tmp_path):
    host = PluginHost(tmp_path / "none.toml", env={"GENBOT_LOAD_PLUGINS": "projects"}).load()
    assert list(host.plugins) == ["projects"]


def test_plugins_file_sections_must_be_tables(tmp_path):
    path = tmp_path / "plugins.toml"
    path.write_text("projects = 5\n")
    table, warnings = read_plugins_file(path)
    assert table == {} and "must be a table" in warnings[0]


def test_admin_only_commands_do_not_exist_for_others(served):
    app, client = served
    assert "Такой команды нет" in post_update(client, updates.message(901, "/stats")).get_json()["text"]
    assert "Генерации за 24 часа" in post_update(client, updates.message(900, "/stats")).get_json()["text"]


def test_plugin_routes_answer_503_while_degraded(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path,
                           extra_plugins=("tests.support.plugins.routed",))
    try:
        assert client.get("/routed/ping").get_json() == {"pong": True}
        assert client.post("/routed/boom").status_code == 500
        app.db.execute("ALTER TABLE projects RENAME TO projects_away")
        app.plugins.probe(app.db)
        response = client.get("/routed/ping")
        assert response.status_code == 503
        assert "table projects missing" in response.get_json()["error"]
    finally:
        app.close()


def test_stats_counts_the_last_day(served):
    from core.generation.events import GenerationEvent
    from plugins.generation_events import log_generation_event
    app, client = served
    for status, free, price, code in [("started", False, "30", None), ("success", False, "30", None),
                                      ("success", True, "0", None), ("failed", False, "30", "E500"),
                                      ("timeout", False, "30", None), ("failed", False, "30", "E500")]:
        # users 950+ never wrote to the bot: the event writes them first, no FK error
        log_generation_event(app, GenerationEvent(
            user_id=950, model_id="demo-image", status=status, is_free_applied=free,
            price_rub=Decimal(price), error_code=code, error_message="boom" if code else None))
    app.db.execute("UPDATE generation_events SET created_at = NOW() - INTERVAL '2 days' WHERE id = "
                   "(SELECT max(id) FROM generation_events)")
    text = post_update(client, updates.message(900, "/stats")).get_json()["text"]
    assert "• failed: 1" in text and "• success: 2" in text and "• timeout: 1" in text
    assert "Успешных бесплатных: 1, платных: 1" in text
    assert "Выручка: 30 ₽" in text
    assert "demo-image E500: boom × 1" in text


def test_trace_switch_logs_every_hook_call(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    PluginHost(tmp_path / "none.toml", env={"GENBOT_TRACE_PLUGINS": "1"}).load()
    assert "trace: projects.plugin_tables() -> ['projects', 'project_history']" in caplog.text


# -- the contract, checked at load ------------------------------------------------------------

def load_with(tmp_path, *modules, plugins_toml: str = "") -> PluginHost:
    path = tmp_path / "plugins.toml"
    path.write_text(plugins_toml)
    return PluginHost(path, env={}).load(extra=tuple(f"tests.support.plugins.{m}" for m in modules))


def test_mistakes_in_a_plugin_fail_it_with_the_reason(tmp_path):
    host = load_with(tmp_path, "misspelled", "raising_declaration", "wrapping", "wrong_argument",
                     "forward")
    reasons = {name: (p.state, p.reason) for name, p in host.plugins.items()}
    assert reasons["misspelled"] == (FAILED, "'menu_button' is not a genbot hook; did you mean 'menu_buttons'?")
    assert reasons["raising_declaration"] == (
        FAILED, "plugin_settings raised RuntimeError: settings could not be read")
    assert reasons["wrapping"][0] == FAILED and "hookwrapper, which genbot does not support" in reasons["wrapping"][1]
    # pluggy's words, without its first line (the plugin's name is shown beside it anyway)
    assert reasons["wrong_argument"][0] == FAILED
    assert "menu_buttons(app, colour)" in reasons["wrong_argument"][1]
    assert "{'colour'}" in reasons["wrong_argument"][1]
    # A hook of a later genbot, marked optional, is no mistake.
    assert reasons["forward"] == (ENABLED, "")
    assert host.plugins["projects"].state == ENABLED
    assert "4 failed" in host.summary()


def test_a_setting_the_plugin_refuses_fails_it(tmp_path):
    host = load_with(tmp_path, plugins_toml="[referrals]\nreward_percent = 150\n")
    assert (host.plugins["referrals"].state, host.plugins["referrals"].reason) == (
        FAILED, f"bad setting in {tmp_path / 'plugins.toml'}: setting reward_percent must be from 0 to 100")


def test_a_plugin_whose_contribution_raises_fails_whole_and_leaves_no_button(
        db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, METRICS_TOKEN=METRICS_TOKEN,
                           extra_plugins=("tests.support.plugins.raising_contribution",))
    try:
        failed = app.plugins.plugins["raising_contribution"]
        assert (failed.state, failed.reason) == (
            FAILED, "bot_commands raised RuntimeError: commands could not be built")
        body = post_update(client, updates.message(12, "/start")).get_json()
        assert "🪤 Ловушка" not in labels(body) and "💰 Баланс" in labels(body)
        assert "🪤 Ловушка" not in app.router.buttons
        ready = client.get("/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).get_json()
        assert ready["plugins"]["raising_contribution"] == {
            "state": "failed", "reason": "bot_commands raised RuntimeError: commands could not be built"}
    finally:
        app.close()


def test_start_payload_stops_at_the_plugin_that_answers(db_settings, bot_api, tmp_path):
    from tests.support.plugins import forward
    forward.heard.clear()
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path,
                           extra_plugins=("tests.support.plugins.forward",))
    try:
        post_update(client, updates.message(20, "/start"))
        post_update(client, updates.message(21, "/start fwd_20"))  # forward's: referrals never hears it
        post_update(client, updates.message(22, "/start ref_20"))  # not forward's: referrals takes it
        assert forward.heard == ["fwd_20", "ref_20"]  # tryfirst: asked before referrals
        assert app.db.fetch_all("SELECT referred_id FROM referrals ORDER BY referred_id") == [(22,)]
    finally:
        app.close()


@pytest.mark.slow
def test_genbot_plugins_json_shows_what_failed_and_why(db_settings, tmp_path):
    """Installed plugins (entry points of a distribution on the path), as an operator sees them."""
    import json
    import shutil

    from genbot.testing.postgres import url_for
    from tests.support.serve import ROOT, base_env, run_cli

    site = tmp_path / "site"
    (site / "broken_plugins-1.0.dist-info").mkdir(parents=True)
    for module in ("misspelled", "raising_declaration"):
        shutil.copy(ROOT / "tests" / "support" / "plugins" / f"{module}.py", site / f"broken_{module}.py")
    (site / "broken_plugins-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-plugins\nVersion: 1.0\n")
    (site / "broken_plugins-1.0.dist-info" / "entry_points.txt").write_text(
        "[genbot.plugins]\nmisspelled = broken_misspelled\nraising = broken_raising_declaration\n")
    env = base_env(DATABASE_URL=url_for(db_settings))
    env["PYTHONPATH"] = f"{site}{os.pathsep}{env['PYTHONPATH']}"
    result = run_cli("plugins", "--json", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert (listed["misspelled"]["state"], listed["misspelled"]["reason"]) == (
        "failed", "'menu_button' is not a genbot hook; did you mean 'menu_buttons'?")
    assert listed["misspelled"]["source"] == "package broken-plugins"
    assert (listed["raising"]["state"], listed["raising"]["reason"]) == (
        "failed", "plugin_settings raised RuntimeError: settings could not be read")
    assert listed["projects"]["state"] == "enabled"


def test_balance_changed_is_heard_once_committed_and_never_after_a_rollback(db_settings, bot_api, tmp_path):
    from tests.support.plugins import listener
    listener.heard.clear()
    app, _ = make_app(db_settings, bot_api, tmp_path=tmp_path,
                      extra_plugins=("tests.support.plugins.listener",))
    try:
        app.balances.credit(30, "12.50", reason="подарок")
        with pytest.raises(RuntimeError), app.db.transaction() as tx:
            app.balances.credit(30, "99.00", cur=tx)
            raise RuntimeError("rolled back")
        assert [(c.user_id, c.amount, c.kind, c.balance) for c in listener.heard] == [
            (30, Decimal("12.50"), "topup", Decimal("12.50"))]
        assert app.balances.get(30) == Decimal("12.50")
    finally:
        app.close()
