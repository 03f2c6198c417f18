"""projects — 💼 Мои проекты: folders for generation results.

Create (name, and a description from the second line on), list, open, rename, delete
(its history goes with it, ``ON DELETE CASCADE``), and a paged history that names each
model as users know it and sends a saved result again (through 🗂 История's
``hist:o:<job>``: the generation's id is kept with its outputs). Under every
generation result the ``result_buttons`` hook offers "💾 В проект: <name>";
``save_to_project`` writes the generation's inputs and outputs to ``project_history``.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2.extras import Json

from genbot import (
    Button,
    ButtonData,
    Callback,
    Flow,
    InlineButton,
    PastJob,
    current_language,
    hookimpl,
    inline_keyboard,
    t,
    unpack_any,
)

FLOW_NEW, FLOW_RENAME = "projects:new", "projects:rename"


# -- the buttons, as their callback data ------------------------------------------------

@dataclass(frozen=True)
class ProjectList(ButtonData):
    code = "prj:list"


@dataclass(frozen=True)
class NewProject(ButtonData):
    code = "prj:new"


@dataclass(frozen=True)
class OpenProject(ButtonData):
    code = "prj:open"
    project_id: int


@dataclass(frozen=True)
class ProjectHistory(ButtonData):
    code = "prj:hist"
    project_id: int
    page: int | None = None


@dataclass(frozen=True)
class RenameProject(ButtonData):
    code = "prj:ren"
    project_id: int


@dataclass(frozen=True)
class DeleteProject(ButtonData):
    code = "prj:del"
    project_id: int


@dataclass(frozen=True)
class ConfirmDelete(ButtonData):
    code = "prj:delok"
    project_id: int


@dataclass(frozen=True)
class SaveToProject(ButtonData):
    """"💾 В проект" under a result: that job's result into that project."""
    code = "prj:save"
    job_id: int
    project_id: int


BUTTONS = (ProjectList, NewProject, OpenProject, ProjectHistory, RenameProject, DeleteProject,
           ConfirmDelete, SaveToProject)


class ProjectError(ValueError):
    """A user mistake, with the text that tells them what to do."""


def _clean_name(settings, text: str) -> tuple[str, str | None]:
    lines = (text or "").strip().split("\n", 1)
    name = " ".join(lines[0].split())
    description = lines[1].strip() if len(lines) > 1 and lines[1].strip() else None
    if not name:
        raise ProjectError(t("prj_name_empty"))
    if len(name) > settings["name_limit"]:
        raise ProjectError(t("prj_name_long", limit=settings["name_limit"], length=len(name)))
    if description and len(description) > settings["description_limit"]:
        raise ProjectError(t("prj_description_long", limit=settings["description_limit"]))
    return name, description


# -- the data ------------------------------------------------------------------------

def create_project(app, settings, user_id: int, text: str) -> int:
    name, description = _clean_name(settings, text)
    app.ensure_user_id(user_id)
    with app.db.transaction() as tx:
        app.users.lock(user_id, cur=tx)  # the user's creates queue up: the cap holds under races
        tx.execute("SELECT COUNT(*) FROM projects WHERE user_id = %s", (user_id,))
        if tx.fetchone()[0] >= settings["max_projects"]:
            raise ProjectError(t("prj_too_many", limit=settings["max_projects"]))
        tx.execute("INSERT INTO projects (user_id, name, description) VALUES (%s, %s, %s) "
                   "RETURNING id", (user_id, name, description))
        return tx.fetchone()[0]


def rename_project(app, settings, user_id: int, project_id: int, text: str) -> bool:
    name, _ = _clean_name(settings, text.split("\n", 1)[0])
    return app.db.execute("UPDATE projects SET name = %s, updated_at = NOW() "
                          "WHERE id = %s AND user_id = %s", (name, project_id, user_id)) == 1


def delete_project(app, user_id: int, project_id: int) -> bool:
    return app.db.execute("DELETE FROM projects WHERE id = %s AND user_id = %s",
                          (project_id, user_id)) == 1


def get_project(app, user_id: int, project_id: int):
    return app.db.fetch_one(
        "SELECT p.id, p.name, p.description, (SELECT COUNT(*) FROM project_history h "
        "WHERE h.project_id = p.id) FROM projects p WHERE p.id = %s AND p.user_id = %s",
        (project_id, user_id))


def save_to_project(app, user_id: int, project_id: int, model_id: str, inputs: dict,
                    outputs: dict | None, status: str) -> bool:
    """Store a generation's inputs and outputs in one of the user's projects."""
    return app.db.execute(
        "INSERT INTO project_history (project_id, user_id, model_id, inputs, outputs, status) "
        "SELECT id, user_id, %s, %s, %s, %s FROM projects WHERE id = %s AND user_id = %s",
        (model_id, Json(inputs), Json(outputs) if outputs is not None else None, status,
         project_id, user_id)) == 1


# -- the screens ---------------------------------------------------------------------

def show_list(ctx, settings) -> None:
    ctx.app.conversations.clear(ctx.user_id)
    rows = ctx.app.db.fetch_all("SELECT id, name FROM projects WHERE user_id = %s "
                                "ORDER BY created_at, id", (ctx.user_id,))
    buttons = [[(f"📁 {name}", OpenProject(pid).pack())] for pid, name in rows]
    buttons.append([(t("prj_btn_new"), NewProject().pack())])
    text = t("prj_list", count=len(rows)) if rows else t("prj_list_empty")
    ctx.reply(text, inline_keyboard(buttons))


def show_project(ctx, project_id: int) -> None:
    project = get_project(ctx.app, ctx.user_id, project_id)
    if project is None:
        ctx.reply(t("prj_not_found"))
        return
    pid, name, description, count = project
    text = t("prj_card", name=name, description=description or "—", count=count)
    ctx.reply(text, inline_keyboard([
        [(t("prj_btn_history"), ProjectHistory(pid, 0).pack())],
        [(t("prj_btn_rename"), RenameProject(pid).pack()), (t("prj_btn_delete"), DeleteProject(pid).pack())],
        [(t("prj_btn_back"), ProjectList().pack())]]))


def show_history(ctx, settings, project_id: int, page: int) -> None:
    project = get_project(ctx.app, ctx.user_id, project_id)
    if project is None:
        ctx.reply(t("prj_not_found"))
        return
    size = settings["page_size"]
    page = max(page, 0)
    rows = ctx.app.db.fetch_all(
        "SELECT model_id, status, created_at, inputs, outputs FROM project_history WHERE project_id = %s "
        "ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s", (project_id, size, page * size))
    total = project[3]
    if not rows:
        ctx.reply(t("prj_history_empty", name=project[1]),
                  inline_keyboard([[(t("prj_btn_back"), OpenProject(project_id).pack())]]))
        return
    lines = [t("prj_history_head", name=project[1], page=page + 1,
               pages=(total + size - 1) // size)]
    again = []
    for number, (model_id, status, created, inputs, outputs) in enumerate(rows, start=page * size + 1):
        model = ctx.app.catalog.get(model_id)
        title = model.title_in(current_language()) if model is not None else model_id
        prompt = str((inputs or {}).get("prompt", ""))[:60]
        said = t(f"prj_status_{status}") if status in ("success", "failed") else status
        lines.append(f"• {number}. {created:%d.%m %H:%M} {title} — {said}" + (f": «{prompt}»" if prompt else ""))
        job_id = (outputs or {}).get("job_id") if isinstance(outputs, dict) else None
        if isinstance(job_id, int):
            again.append((t("prj_btn_again", number=number), PastJob(job_id).pack()))
    nav = []
    if page > 0:
        nav.append(("⬅️", ProjectHistory(project_id, page - 1).pack()))
    if (page + 1) * size < total:
        nav.append(("➡️", ProjectHistory(project_id, page + 1).pack()))
    rows_of_again = [again[i:i + 3] for i in range(0, len(again), 3)]
    ctx.reply("\n".join(lines), inline_keyboard(
        rows_of_again + [nav, [(t("prj_btn_back"), OpenProject(project_id).pack())]]))


def on_callback(ctx, payload: str, settings) -> None:
    ctx.answer_callback()
    match unpack_any(f"prj:{payload}", BUTTONS):
        case ProjectList():
            show_list(ctx, settings)
        case NewProject():
            ctx.app.conversations.set(ctx.user_id, FLOW_NEW)
            ctx.reply(t("prj_ask_name", limit=settings["name_limit"]))
        case SaveToProject(job_id=job_id, project_id=project_id):
            result = ctx.app.generation_result(ctx.user_id, job_id)
            saved = result is not None and save_to_project(
                ctx.app, ctx.user_id, project_id, result["model_id"], result["inputs"],
                dict(result["outputs"] or {}, job_id=result["id"]), result["status"])
            ctx.reply(t("prj_saved") if saved else t("prj_not_found"))
        case OpenProject(project_id=project_id):
            show_project(ctx, project_id)
        case ProjectHistory(project_id=project_id, page=page):
            show_history(ctx, settings, project_id, page or 0)
        case RenameProject(project_id=project_id):
            if get_project(ctx.app, ctx.user_id, project_id) is None:
                ctx.reply(t("prj_not_found"))
                return
            ctx.app.conversations.set(ctx.user_id, FLOW_RENAME, {"project_id": project_id})
            ctx.reply(t("prj_ask_new_name", limit=settings["name_limit"]))
        case DeleteProject(project_id=project_id):
            project = get_project(ctx.app, ctx.user_id, project_id)
            if project is None:
                ctx.reply(t("prj_not_found"))
                return
            ctx.reply(t("prj_confirm_delete", name=project[1], count=project[3]), inline_keyboard([
                [(t("prj_btn_delete_yes"), ConfirmDelete(project_id).pack()),
                 (t("prj_btn_cancel"), OpenProject(project_id).pack())]]))
        case ConfirmDelete(project_id=project_id):
            ctx.reply(t("prj_deleted") if delete_project(ctx.app, ctx.user_id, project_id)
                      else t("prj_not_found"))
        case _:
            ctx.reply(t("stale_button"))


def create_from_text(ctx, settings) -> bool:
    """A new project's name (a description from the second line on), as typed."""
    try:
        project_id = create_project(ctx.app, settings, ctx.user_id, ctx.text)
    except ProjectError as exc:
        ctx.reply(str(exc))
        return True
    ctx.app.conversations.clear(ctx.user_id)
    ctx.reply(t("prj_created"))
    show_project(ctx, project_id)
    return True


def rename_from_text(ctx, settings, data: dict) -> bool:
    """The new name of the project in ``data``, as typed."""
    try:
        renamed = rename_project(ctx.app, settings, ctx.user_id, data["project_id"], ctx.text)
    except ProjectError as exc:
        ctx.reply(str(exc))
        return True
    ctx.app.conversations.clear(ctx.user_id)
    ctx.reply(t("prj_renamed") if renamed else t("prj_not_found"))
    return True


@hookimpl
def plugin_tables():
    return ["projects", "project_history"]


@hookimpl
def plugin_settings():
    return {"max_projects": 20, "name_limit": 64, "description_limit": 500, "page_size": 5}


@hookimpl
def plugin_texts():
    return {"ru": {
        "btn_projects": "💼 Мои проекты",
        "prj_list": "💼 Ваши проекты ({count}). Откройте проект или создайте новый.",
        "prj_list_empty": "💼 Проектов пока нет. Создайте первый — в нём можно хранить результаты генераций.",
        "prj_btn_new": "➕ Новый проект",
        "prj_btn_history": "📜 История",
        "prj_btn_rename": "✏️ Переименовать",
        "prj_btn_delete": "🗑 Удалить",
        "prj_btn_delete_yes": "Да, удалить",
        "prj_btn_cancel": "Отмена",
        "prj_btn_back": "⬅️ Назад",
        "prj_ask_name": ("Отправьте название проекта (до {limit} символов). "
                         "Описание можно добавить со второй строки. /cancel — отмена."),
        "prj_ask_new_name": "Отправьте новое название (до {limit} символов). /cancel — отмена.",
        "prj_name_empty": "Название не может быть пустым. Отправьте название или /cancel.",
        "prj_name_long": "Название длиннее {limit} символов ({length}). Сократите его и отправьте снова.",
        "prj_description_long": "Описание длиннее {limit} символов. Сократите его и отправьте снова.",
        "prj_too_many": "У вас уже {limit} проектов — это предел. Удалите ненужный, чтобы создать новый.",
        "prj_created": "✅ Проект создан.",
        "prj_renamed": "✅ Проект переименован.",
        "prj_deleted": "🗑 Проект и его история удалены.",
        "prj_btn_save": "💾 В проект",
        "prj_saved": "💾 Сохранено в проект.",
        "prj_not_found": "Проект не найден — возможно, он удалён. Откройте 💼 Мои проекты.",
        "prj_card": "📁 {name}\n{description}\n\nЗаписей в истории: {count}",
        "prj_confirm_delete": "Удалить проект «{name}» и всю его историю ({count})? Это необратимо.",
        "prj_history_empty": "В проекте «{name}» пока нет сохранённых результатов.",
        "prj_history_head": "📜 {name} — страница {page} из {pages}",
        "prj_status_success": "готово",
        "prj_status_failed": "не получилось",
        "prj_btn_again": "📤 {number}",
    }, "en": {
        "btn_projects": "💼 My projects",
        "prj_list": "💼 Your projects ({count}). Open one or create a new one.",
        "prj_list_empty": "💼 No projects yet. Create the first one to keep generation results in it.",
        "prj_btn_new": "➕ New project",
        "prj_btn_history": "📜 History",
        "prj_btn_rename": "✏️ Rename",
        "prj_btn_delete": "🗑 Delete",
        "prj_btn_delete_yes": "Yes, delete",
        "prj_btn_cancel": "Cancel",
        "prj_btn_back": "⬅️ Back",
        "prj_ask_name": ("Send the project's name (up to {limit} characters). "
                         "A description can follow from the second line. /cancel to stop."),
        "prj_ask_new_name": "Send the new name (up to {limit} characters). /cancel to stop.",
        "prj_name_empty": "The name cannot be empty. Send a name, or /cancel.",
        "prj_name_long": "The name is longer than {limit} characters ({length}). Shorten it and send it again.",
        "prj_description_long": "The description is longer than {limit} characters. Shorten it and send it again.",
        "prj_too_many": "You have {limit} projects, the most there can be. Delete one to create another.",
        "prj_created": "✅ Project created.",
        "prj_renamed": "✅ Project renamed.",
        "prj_deleted": "🗑 The project and its history are deleted.",
        "prj_btn_save": "💾 To project",
        "prj_saved": "💾 Saved to the project.",
        "prj_not_found": "Project not found — it may have been deleted. Open 💼 My projects.",
        "prj_card": "📁 {name}\n{description}\n\nEntries in its history: {count}",
        "prj_confirm_delete": "Delete the project “{name}” and all its history ({count})? This cannot be undone.",
        "prj_history_empty": "The project “{name}” has no saved results yet.",
        "prj_history_head": "📜 {name} — page {page} of {pages}",
        "prj_status_success": "done",
        "prj_status_failed": "failed",
        "prj_btn_again": "📤 {number}",
    }}


@hookimpl
def menu_buttons(app, settings):
    return [Button(t("btn_projects"), lambda ctx: show_list(ctx, settings), order=50)]


@hookimpl
def callback_handlers(app, settings):
    return [Callback("prj", lambda ctx, payload: on_callback(ctx, payload, settings))]


@hookimpl
def flow_handlers(app, settings):
    return [Flow(FLOW_NEW, lambda ctx, _data: create_from_text(ctx, settings)),
            Flow(FLOW_RENAME, lambda ctx, data: rename_from_text(ctx, settings, data))]


@hookimpl
def result_buttons(app, settings, result):
    """"💾 В проект: <name>" under a result, for the user's three newest projects."""
    rows = app.db.fetch_all("SELECT id, name FROM projects WHERE user_id = %s "
                            "ORDER BY created_at DESC, id DESC LIMIT 3", (result["user_id"],))
    return [InlineButton(f"{t('prj_btn_save')}: {name}"[:64], SaveToProject(result["id"], pid))
            for pid, name in rows]
