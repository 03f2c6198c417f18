"""Russian: the default language, and the one every key must have."""

TEXTS = {
    # The seed's words: shown whenever a feature's table or the database is missing.
    "db_unavailable": "⚠️ База временно недоступна",
    "friend": "друг",
    "btn_balance": "💰 Баланс",
    "btn_help": "🆘 Помощь",
    "btn_history": "🗂 История",
    "btn_free": "🎁 Бесплатные",
    "cat_image": "🖼 Изображения",
    "cat_video": "🎬 Видео",
    "cat_audio": "🎙 Аудио",
    "cat_text": "✍️ Тексты",
    "welcome": (
        "👋 Привет, {name}!\n\n"
        "Я генерирую изображения, видео, аудио и тексты нейросетями. "
        "Часть моделей бесплатна, платные списывают рубли с баланса.\n\n"
        "Напишите, что хотите получить, или выберите раздел в меню ниже."
    ),
    "welcome_back": "С возвращением, {name}! Главное меню ниже.",
    "menu_placeholder": "Опишите, что создать, или выберите раздел",
    "cancelled": "Действие отменено. Главное меню ниже.",
    "cancel_running": "⏳ {model} ещё генерируется. Остановить?",
    "unknown_text": "Напишите, что создать, или выберите раздел в меню ниже. Справка — /help.",
    "unknown_command": "Такой команды нет. Список команд — /help.",
    "stale_button": "Эта кнопка устарела. Откройте меню заново: /start",
    "handler_failed": "😔 Что-то пошло не так. Попробуйте ещё раз или нажмите /start.",
    "payments_unavailable": "Пополнение сейчас недоступно. Попробуйте позже или напишите в поддержку: /paysupport",
    # /help, /paysupport, /terms and the bot's profile
    "help_intro": (
        "ℹ️ Как пользоваться\n"
        "Напишите, что хотите получить, — я предложу модель. Или выберите раздел в меню: "
        "модель, описание, запуск. Результат приходит сюда же."
    ),
    "help_prices": "Цены:",
    "help_price_from": "{category} — от {price}",
    "help_price_free": "{category} — бесплатно",
    "help_price_free_or_from": "{category} — бесплатно или от {price}",
    "help_commands": (
        "/start — главное меню\n"
        "/balance — баланс и пополнение\n"
        "/history — ваши генерации, результат можно получить снова\n"
        "/cancel — отменить текущее действие\n"
        "/paysupport — вопросы об оплате\n"
        "/terms — условия"
    ),
    "help_support": "Поддержка: {support}",
    "support_none": "напишите администратору бота",
    "free_left_today": "🎁 Бесплатных генераций сегодня: осталось {left} из {quota}.",
    "free_quota": "🎁 Бесплатно: до {quota} генераций в день.",
    "paysupport": (
        "💳 Вопросы об оплате\n\n"
        "Пополнение зачисляется сразу после оплаты. Если деньги списались, а баланс не "
        "вырос, или нужен возврат — напишите в поддержку: {support}. Укажите дату, сумму "
        "и номер платежа из чека Telegram.\n\n"
        "Деньги за генерацию, которая не удалась, была отменена или не уложилась во время, "
        "не списываются: они возвращаются на баланс автоматически."
    ),
    "terms": (
        "📄 Условия\n\n"
        "• Баланс пополняется в рублях через Telegram; пополнение не сгорает.\n"
        "• Платная генерация списывает цену, показанную перед запуском, только если "
        "результат получен; при ошибке, отмене или истечении времени деньги не списываются.\n"
        "• Бесплатные модели — до {quota} генераций в день.\n"
        "• Не отправляйте запросы, нарушающие закон или правила сервисов генерации: такие "
        "запросы отклоняются.\n"
        "• Результаты хранятся в 🗂 Истории, их можно получить снова.\n\n"
        "Вопросы и возвраты: {support}"
    ),
    "cmd_start": "Главное меню",
    "cmd_help": "Как пользоваться, цены, поддержка",
    "cmd_balance": "Баланс и пополнение",
    "cmd_history": "Мои генерации",
    "cmd_cancel": "Отменить текущее действие",
    "cmd_paysupport": "Вопросы об оплате",
    "cmd_terms": "Условия",
    "bot_description": (
        "Генерирую картинки, видео, музыку и тексты нейросетями. Напишите, что создать, — "
        "часть моделей бесплатна, платные оплачиваются с баланса в рублях."
    ),
    "bot_short_description": "Картинки, видео, музыка и тексты нейросетями. Есть бесплатные модели.",
    # 💰 Баланс
    "balance": "💰 Ваш баланс: {balance}",
    "balance_held": "⏳ Зарезервировано под идущие генерации: {held}",
    "balance_recent": "Последние операции:",
    "balance_change": "• {when}  {amount}  {what}",
    "balance_no_topup": "Пополнение сейчас недоступно: напишите в поддержку ({support}).",
    "ledger_topup": "пополнение",
    "ledger_deduction": "списание",
    "ledger_refund": "возврат",
    "ledger_referral": "партнёрская награда",
    "ledger_generation": "генерация: {model}",
    # admins
    "admin_user_usage": "Укажите id пользователя: /user 123456789",
    "admin_user_unknown": "Пользователь {user_id} не найден.",
    "admin_adjust_usage": "Формат: /adjust <id> <+сумма|-сумма> <причина, от 3 символов>",
    "admin_adjust_bad_amount": "Сумма не подходит: {error}",
    "admin_adjust_short": "Нельзя списать больше баланса ({balance}).",
    "admin_adjusted": "Баланс {user_id} изменён на {change}, теперь {balance}. Запись в журнале сделана.",
    "admin_health": "🩺 Состояние",
    "admin_health_db": "База: доступна, соединений занято {busy} из {size}",
    "admin_health_queue": "Очередь генераций: {depth}",
    "admin_health_db_down": "База: недоступна",
    "admin_user_card": "👤 {user_id} @{username} {name}\nС нами с {since}\nБаланс: {balance}, удержано: {held}\nПоследние генерации:",
    "admin_user_job": "• #{id} {model} {status} {price} {when}",
    "admin_none": "• нет",
    # choosing a model
    "gen_category": "{title}: выберите модель.",
    "gen_category_empty": "Здесь пока нет моделей. Выберите другой раздел.",
    "gen_pick_category": "Что создать? Выберите раздел:",
    "gen_free_list": "🎁 Бесплатные модели — до {quota} генераций в день, сегодня осталось {left}.",
    "gen_free_list_offline": "🎁 Бесплатные модели.",
    "gen_price_free": "бесплатно",
    "gen_price_up_to": "до {price}",
    "gen_price_usage": "по токенам, до {price}",
    "gen_model_card": "{title} — {price}{description}",
    "gen_model_gone": "Эта модель сейчас недоступна. Выберите другую в меню.",
    "gen_photo_unsupported": "Модель «{model}» сейчас не может принять фото. Выберите другую модель в меню.",
    # inputs
    "gen_ask_text": "✏️ {label} (до {limit} символов). Отправьте сообщением.",
    "gen_ask_choice": "🔘 {label}:",
    "gen_ask_image": "🖼 {label}",
    "gen_btn_skip": "Пропустить",
    "gen_btn_cancel": "❌ Отмена",
    "gen_btn_back": "⬅️ Назад",
    "gen_btn_menu": "🏠 Меню",
    "gen_text_too_long": "Текст длиннее {limit} символов ({length}). Сократите его и отправьте снова.",
    "gen_text_empty": "Нужен текст. Отправьте его сообщением или нажмите «Отмена».",
    "gen_image_bad": "Нужна картинка: пришлите фото или ссылку, начинающуюся с http:// или https://.",
    "gen_choice_bad": "Выберите один из вариантов кнопкой выше.",
    "gen_draft_gone": "Этот черновик устарел. Выберите модель заново.",
    # confirming
    "gen_confirm_title": "{model} — {price}",
    "gen_confirm_choice": "{label}: {value}",
    "gen_confirm_photo": "🖼 Фото приложено",
    "gen_confirm_balance": "💰 На балансе: {balance}",
    "gen_confirm_free_left": "🎁 Бесплатно: сегодня осталось {left} из {quota}",
    "gen_btn_go": "✅ Запустить — {price}",
    "gen_already": "Эта генерация уже запущена.",
    "gen_no_funds": "❌ Недостаточно средств: нужно {price}, на балансе {balance}. Не хватает {missing}.",
    "gen_no_funds_topup": "Пополните баланс кнопкой ниже, затем нажмите «Запустить».",
    "gen_no_funds_no_topup": "Пополнение сейчас недоступно. Напишите в поддержку: /paysupport",
    "gen_too_many": "⏳ Одновременно в работе может быть не больше {limit} генераций. Дождитесь, пока одна закончится, и нажмите «Запустить» ещё раз.",
    "gen_quota": "🎁 Бесплатные генерации на сегодня закончились ({quota} из {quota}). Они вернутся завтра, а платные модели доступны сейчас:",
    # running
    "gen_progress_queued": "⏳ {model}: запускаю…",
    "gen_progress_running": "🎨 {model}: генерирую… {elapsed}",
    "gen_progress_estimate": "Обычно это занимает около {estimate}.",
    "gen_progress_hint": "Пришлю результат сюда. Передумали — нажмите «Отменить».",
    "dur_seconds": "{n} с",
    "dur_minutes": "{n} мин",
    "gen_btn_cancel_job": "⛔ Отменить",
    "gen_cancel_done": "Генерация отменена.",
    "gen_cannot_cancel": "Эту генерацию уже не отменить: она завершилась.",
    # how it ended
    "gen_done_paid": "✅ {model}: готово. Списано {price}.",
    "gen_done_free": "✅ {model}: готово. Бесплатно.",
    "gen_undelivered": "😔 {model}: Telegram не принял результат ни одним способом, поэтому {price} вернулись на баланс.",
    "gen_undelivered_free": "😔 {model}: Telegram не принял результат ни одним способом, поэтому бесплатная попытка не потрачена.",
    "result_link": "Файл большой ({size}), Telegram такие не пересылает — скачайте его по кнопке. Ссылка действует {days} дн.",
    "result_btn_download": "⬇️ Скачать",
    "size_mb": "{n} МБ",
    "size_kb": "{n} КБ",
    "gen_btn_repeat": "🔁 Повторить",
    "gen_failed": "😔 {model}: не получилось — {reason}. Деньги не списаны.",
    "gen_failed_free": "😔 {model}: не получилось — {reason}. Бесплатная попытка не потрачена.",
    "gen_reason_unavailable": "сервис генерации сейчас недоступен, попробуйте через несколько минут",
    "gen_reason_rejected": "сервис отклонил запрос (так бывает с запрещённым содержимым) — измените описание и попробуйте снова",
    "gen_reason_photo": "не удалось получить ваше фото — пришлите его ещё раз",
    "gen_reason_too_long": "описание слишком длинное для этой модели — сократите его",
    "gen_reason_failed": "сервис не смог выполнить генерацию — попробуйте ещё раз",
    "gen_timeout": "⌛ {model}: время вышло. Деньги возвращены на баланс — попробуйте ещё раз.",
    "gen_timeout_free": "⌛ {model}: время вышло. Бесплатная попытка не потрачена — попробуйте ещё раз.",
    "gen_lost": "⚠️ {model}: генерация прервалась из-за сбоя. Деньги возвращены на баланс — попробуйте ещё раз.",
    "gen_lost_free": "⚠️ {model}: генерация прервалась из-за сбоя. Бесплатная попытка не потрачена — попробуйте ещё раз.",
    "gen_cancelled": "⛔ {model}: генерация отменена. Деньги не списаны.",
    "gen_cancelled_free": "⛔ {model}: генерация отменена. Бесплатная попытка не потрачена.",
    # text outside a flow
    "gen_offer": "Сгенерировать «{prompt}» в {model}?",
    "gen_btn_offer_yes": "✅ Да — {price}",
    "gen_btn_offer_other": "🔀 Другая модель",
    "gen_offer_new": "Что создать по описанию «{prompt}»? Выберите раздел, затем модель — описание я запомнил.",
    "gen_offer_gone": "Это предложение устарело. Напишите описание ещё раз или выберите раздел:",
    "gen_stray_not_text": "Я понимаю текстовые описания. Напишите, что создать, или выберите раздел:",
    # 🗂 История
    "hist_empty": "🗂 Здесь будут ваши генерации. Пока их нет — напишите, что создать, или выберите раздел:",
    "hist_head": "🗂 Ваши генерации (страница {page} из {pages})",
    "hist_line": "{number}. {model} · {when} · {price} · {status}",
    "hist_hint": "Нажмите на генерацию, чтобы получить результат снова.",
    "hist_status_succeeded": "✅ готово",
    "hist_status_undelivered": "📭 не доставлено",
    "hist_status_refunded": "📭 не доставлено, деньги возвращены",
    "hist_status_failed": "❌ не получилось",
    "hist_status_timeout": "⌛ время вышло",
    "hist_status_cancelled": "⛔ отменено",
    "hist_status_queued": "⏳ в работе",
    "hist_status_running": "⏳ в работе",
    "hist_btn_newer": "⬅️ Новее",
    "hist_btn_older": "Старее ➡️",
    "hist_btn_back": "🗂 К истории",
    "hist_caption": "{model} · {when}",
    "hist_running": "⏳ {model} ({when}) ещё генерируется. Результат придёт сам.",
    "hist_no_result": "{model} · {when}\n{why}",
    "hist_result_gone": "{model} · {when}: результат больше не хранится. Нажмите «Повторить», чтобы сгенерировать заново.",
    "hist_send_failed": "Не получилось отправить {model} ещё раз: Telegram сейчас не принимает файл. Попробуйте через минуту.",
    "hist_gone": "Эта генерация не найдена. Откройте 🗂 История заново.",
}
