"""English, for users whose Telegram speaks it (language_code "en")."""

TEXTS = {
    # db_unavailable stays the seed's own words ("⚠️ База временно недоступна") in every language.
    "friend": "friend",
    "btn_balance": "💰 Balance",
    "btn_help": "🆘 Help",
    "btn_history": "🗂 History",
    "btn_free": "🎁 Free",
    "cat_image": "🖼 Images",
    "cat_video": "🎬 Video",
    "cat_audio": "🎙 Audio",
    "cat_text": "✍️ Texts",
    "welcome": (
        "👋 Hello, {name}!\n\n"
        "I make pictures, videos, audio and texts with neural networks. "
        "Some models are free; paid ones take roubles from your balance.\n\n"
        "Write what you would like, or choose a section in the menu below."
    ),
    "welcome_back": "Welcome back, {name}! The main menu is below.",
    "menu_placeholder": "Describe what to create, or choose a section",
    "cancelled": "Cancelled. The main menu is below.",
    "cancel_running": "⏳ {model} is still generating. Stop it?",
    "unknown_text": "Write what to create, or choose a section in the menu below. Help: /help.",
    "unknown_command": "There is no such command. The commands: /help.",
    "stale_button": "This button is out of date. Open the menu again: /start",
    "handler_failed": "😔 Something went wrong. Try again, or tap /start.",
    "payments_unavailable": "Top-ups are unavailable right now. Try later, or ask support: /paysupport",
    "help_intro": (
        "ℹ️ How it works\n"
        "Write what you would like and I will suggest a model. Or choose a section in the "
        "menu: a model, a description, start. The result arrives right here."
    ),
    "help_prices": "Prices:",
    "help_price_from": "{category} — from {price}",
    "help_price_free": "{category} — free",
    "help_price_free_or_from": "{category} — free, or from {price}",
    "help_commands": (
        "/start — main menu\n"
        "/balance — balance and top-up\n"
        "/history — your generations; get any result again\n"
        "/cancel — cancel what you are doing\n"
        "/paysupport — payment questions\n"
        "/terms — terms"
    ),
    "help_support": "Support: {support}",
    "support_none": "write to the bot's administrator",
    # admins
    "admin_user_usage": "Give the user's id: /user 123456789",
    "admin_user_unknown": "User {user_id} not found.",
    "admin_adjust_usage": "Format: /adjust <id> <+amount|-amount> <reason, 3 characters or more>",
    "admin_adjust_bad_amount": "That amount will not do: {error}",
    "admin_adjust_short": "Cannot take more than the balance ({balance}).",
    "admin_adjusted": "Balance of {user_id} changed by {change}, now {balance}. Written to the ledger.",
    "admin_health": "🩺 Health",
    "admin_health_db": "Database: up, {busy} of {size} connections in use",
    "admin_health_queue": "Generation queue: {depth}",
    "admin_health_db_down": "Database: unreachable",
    "admin_user_card": "👤 {user_id} @{username} {name}\nWith us since {since}\nBalance: {balance}, held: {held}\nLast generations:",
    "admin_user_job": "• #{id} {model} {status} {price} {when}",
    "admin_none": "• none",
    "free_left_today": "🎁 Free generations today: {left} of {quota} left.",
    "free_quota": "🎁 Free: up to {quota} generations a day.",
    "paysupport": (
        "💳 Payment questions\n\n"
        "A top-up is credited as soon as it is paid. If you were charged and your balance "
        "did not grow, or you need a refund, write to support: {support}. Give the date, "
        "the amount and the payment number from the Telegram receipt.\n\n"
        "A generation that failed, was cancelled or ran out of time costs nothing: its "
        "money returns to your balance by itself."
    ),
    "terms": (
        "📄 Terms\n\n"
        "• The balance is topped up in roubles through Telegram; it does not expire.\n"
        "• A paid generation takes the price shown before it starts, and only if you get the "
        "result; after an error, a cancel or a timeout nothing is taken.\n"
        "• Free models: up to {quota} generations a day.\n"
        "• Do not send requests that break the law or the generation services' rules: such "
        "requests are refused.\n"
        "• Results are kept in 🗂 History, where you can get them again.\n\n"
        "Questions and refunds: {support}"
    ),
    "cmd_start": "Main menu",
    "cmd_help": "How it works, prices, support",
    "cmd_balance": "Balance and top-up",
    "cmd_history": "My generations",
    "cmd_cancel": "Cancel what you are doing",
    "cmd_paysupport": "Payment questions",
    "cmd_terms": "Terms",
    "bot_description": (
        "I make pictures, videos, music and texts with neural networks. Write what to "
        "create — some models are free, paid ones are paid from a rouble balance."
    ),
    "bot_short_description": "Pictures, videos, music and texts by neural networks. Free models included.",
    "balance": "💰 Your balance: {balance}",
    "balance_held": "⏳ Held for running generations: {held}",
    "balance_recent": "Latest changes:",
    "balance_change": "• {when}  {amount}  {what}",
    "balance_no_topup": "Top-ups are unavailable right now: write to support ({support}).",
    "ledger_topup": "top-up",
    "ledger_deduction": "charge",
    "ledger_refund": "refund",
    "ledger_referral": "referral reward",
    "ledger_generation": "generation: {model}",
    "gen_category": "{title}: choose a model.",
    "gen_category_empty": "No models here yet. Choose another section.",
    "gen_pick_category": "What should I create? Choose a section:",
    "gen_free_list": "🎁 Free models — up to {quota} generations a day, {left} left today.",
    "gen_free_list_offline": "🎁 Free models.",
    "gen_price_free": "free",
    "gen_price_up_to": "up to {price}",
    "gen_price_usage": "per token, up to {price}",
    "gen_model_card": "{title} — {price}{description}",
    "gen_model_gone": "This model is unavailable right now. Choose another one in the menu.",
    "gen_photo_unsupported": "The model “{model}” cannot take a photo right now. Choose another model in the menu.",
    "gen_ask_text": "✏️ {label} (up to {limit} characters). Send it as a message.",
    "gen_ask_choice": "🔘 {label}:",
    "gen_ask_image": "🖼 {label}",
    "gen_btn_skip": "Skip",
    "gen_btn_cancel": "❌ Cancel",
    "gen_btn_back": "⬅️ Back",
    "gen_btn_menu": "🏠 Menu",
    "gen_text_too_long": "The text is longer than {limit} characters ({length}). Shorten it and send it again.",
    "gen_text_empty": "A text is needed. Send it as a message, or tap “Cancel”.",
    "gen_image_bad": "A picture is needed: send a photo, or a link that starts with http:// or https://.",
    "gen_image_url_private": "This link points into a private network, and such addresses are not opened. Send the photo or a public link to it.",
    "gen_image_url_bad": "This link cannot be opened: its site is not found. Check it or send the photo itself.",
    "gen_choice_bad": "Choose one of the options with the buttons above.",
    "gen_draft_gone": "This draft is out of date. Choose the model again.",
    "gen_confirm_title": "{model} — {price}",
    "gen_confirm_choice": "{label}: {value}",
    "gen_confirm_photo": "🖼 Photo attached",
    "gen_confirm_balance": "💰 Balance: {balance}",
    "gen_confirm_stop_usage": "You can stop the answer with ⛔: only what was written is charged.",
    "gen_confirm_stop_fixed": "You can stop the answer with ⛔; once it has begun, the price is charged.",
    "gen_confirm_stop_free": "You can stop the answer with ⛔; once it has begun, the free try counts.",
    "gen_confirm_free_left": "🎁 Free: {left} of {quota} left today",
    "gen_btn_go": "✅ Start — {price}",
    "gen_already": "This generation has started already.",
    "gen_no_funds": "❌ Not enough money: it costs {price}, your balance is {balance}. {missing} is missing.",
    "gen_no_funds_topup": "Top up with the button below, then tap “Start”.",
    "gen_no_funds_no_topup": "Top-ups are unavailable right now. Ask support: /paysupport",
    "gen_too_many": "⏳ At most {limit} generations can run at once. Wait for one to finish, then tap “Start” again.",
    "gen_quota": "🎁 Today's free generations are used up ({quota} of {quota}). They return tomorrow; paid models are ready now:",
    "gen_progress_queued": "⏳ {model}: starting…",
    "gen_progress_running": "🎨 {model}: generating… {elapsed}",
    "gen_progress_estimate": "It usually takes about {estimate}.",
    "gen_progress_hint": "The result will arrive here. Changed your mind? Tap “Cancel”.",
    "dur_seconds": "{n} s",
    "dur_minutes": "{n} min",
    "gen_btn_cancel_job": "⛔ Cancel",
    "gen_cancel_done": "Generation cancelled.",
    "gen_cannot_cancel": "This generation can no longer be cancelled: it has finished.",
    "gen_done_paid": "✅ {model}: done. {price} charged.",
    "gen_done_free": "✅ {model}: done. Free.",
    "gen_undelivered": "😔 {model}: Telegram took the result in no way, so {price} went back to your balance.",
    "gen_undelivered_free": "😔 {model}: Telegram took the result in no way, so your free try was not used.",
    "result_link": "The file is large ({size}) and Telegram does not carry such files — download it with the button. The link works for {days} days.",
    "result_btn_download": "⬇️ Download",
    "size_mb": "{n} MB",
    "size_kb": "{n} KB",
    "gen_btn_repeat": "🔁 Repeat",
    "gen_failed": "😔 {model}: it did not work — {reason}. No money was taken.",
    "gen_failed_free": "😔 {model}: it did not work — {reason}. Your free try was not used up.",
    "gen_reason_unavailable": "the generation service is unavailable right now, try again in a few minutes",
    "gen_reason_account": "the generation service is unavailable right now, try again later",
    "gen_reason_rejected": "the service refused the request (this happens with forbidden content) — change the description and try again",
    "gen_reason_photo": "your photo could not be fetched — send it again",
    "gen_reason_too_long": "the description is too long for this model — shorten it",
    "gen_reason_failed": "the service could not make it — try again",
    "gen_timeout": "⌛ {model}: time ran out. The money is back on your balance — try again.",
    "gen_timeout_free": "⌛ {model}: time ran out. Your free try was not used up — try again.",
    "gen_lost": "⚠️ {model}: the generation was interrupted by a failure. The money is back on your balance — try again.",
    "gen_lost_free": "⚠️ {model}: the generation was interrupted by a failure. Your free try was not used up — try again.",
    "gen_cancelled_partial": "⛔ {model}: answer stopped. {price} charged for what was written.",
    "gen_cancelled_partial_free": "⛔ {model}: answer stopped. The free try counts: the answer had begun.",
    "gen_cancelled": "⛔ {model}: generation cancelled. No money was taken.",
    "gen_cancelled_free": "⛔ {model}: generation cancelled. Your free try was not used up.",
    "gen_offer": "Generate “{prompt}” with {model}?",
    "gen_btn_offer_yes": "✅ Yes — {price}",
    "gen_btn_offer_other": "🔀 Another model",
    "gen_offer_new": "What should I create from “{prompt}”? Choose a section, then a model — I have kept the description.",
    "gen_offer_gone": "This suggestion is out of date. Write the description again, or choose a section:",
    "gen_stray_not_text": "I understand text descriptions. Write what to create, or choose a section:",
    "hist_empty": "🗂 Your generations will be here. There are none yet — write what to create, or choose a section:",
    "hist_head": "🗂 Your generations (page {page} of {pages})",
    "hist_line": "{number}. {model} · {when} · {price} · {status}",
    "hist_hint": "Tap a generation to get its result again.",
    "hist_status_succeeded": "✅ done",
    "hist_status_undelivered": "📭 not delivered",
    "hist_status_refunded": "📭 not delivered, money returned",
    "hist_status_failed": "❌ failed",
    "hist_status_timeout": "⌛ timed out",
    "hist_status_cancelled": "⛔ cancelled",
    "hist_status_queued": "⏳ running",
    "hist_status_running": "⏳ running",
    "hist_btn_newer": "⬅️ Newer",
    "hist_btn_older": "Older ➡️",
    "hist_btn_back": "🗂 Back to history",
    "hist_caption": "{model} · {when}",
    "hist_running": "⏳ {model} ({when}) is still generating. The result will arrive by itself.",
    "hist_no_result": "{model} · {when}\n{why}",
    "hist_result_gone": "{model} · {when}: the result is no longer kept. Tap “Repeat” to generate it again.",
    "hist_send_failed": "Could not send {model} again: Telegram is not taking the file right now. Try in a minute.",
    "hist_gone": "This generation was not found. Open 🗂 History again.",
}
