"""What this bot generates with, and which of it each user is offered.

``catalog`` is every model whose provider runs; ``listed`` is what users are offered:
demo models are a stand-in for trying the bot, so once a real provider runs they are
listed to admins only, unless the operator asks otherwise (``SHOW_DEMO_MODELS``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.generation.catalog import Catalog, Model

log = logging.getLogger("genbot.generation")


class Offer:
    def __init__(self, catalog: Catalog, providers: dict, *, is_admin: Callable[[int | None], bool],
                 show_demo_models: bool = False):
        self.catalog = catalog  # every model whose provider runs
        self.providers = providers  # name -> provider
        self.is_admin = is_admin
        self.listed = self._listed(show_demo_models)

    def _listed(self, show_demo_models: bool) -> Catalog:
        demo = {name for name, p in self.providers.items() if getattr(p, "demo", False)}
        if not demo or demo == set(self.providers) or show_demo_models:
            return self.catalog
        hidden = self.catalog.only_providers(demo).models
        if hidden:
            log.info("catalog: %d demo model(s) listed to admins only while a real provider "
                     "runs (SHOW_DEMO_MODELS=1 lists them to everyone)", len(hidden))
        return self.catalog.without_providers(demo)

    def visible(self, model: Model | None, user_id: int | None) -> bool:
        return model is not None and (model.id in self.listed.models or self.is_admin(user_id))

    def models_for(self, user_id: int | None, *, category: str | None = None,
                   free: bool = False) -> list[Model]:
        catalog = self.catalog if self.is_admin(user_id) else self.listed
        return [m for m in catalog.models.values() if (category is None or m.category == category)
                and (not free or m.free)]

    def model(self, model_id: str) -> Model | None:
        """A model whose provider runs, listed or not (a past job may name an unlisted one)."""
        return self.catalog.get(model_id)

    def any_free(self) -> bool:
        """Is any listed model free (the free quota matters at all)?"""
        return bool(self.listed.free())

    def is_listed(self, model: Model) -> bool:
        return model.id in self.listed.models
