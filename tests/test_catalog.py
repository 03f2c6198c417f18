"""The catalog file: the shipped one is sensible; any mistake names the model and field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.config import DEFAULT_CATALOG
from core.generation.catalog import CatalogError, load_catalog, parse_catalog
from tests.support.serve import base_env, run_cli

GOOD = '''
[[model]]
id = "m1"
title = "Модель"
category = "image"
price_rub = "12.50"
provider = "demo"
inputs = [{ name = "prompt", type = "text", label = "Текст" }]
'''


def test_the_shipped_catalog():
    catalog = load_catalog(DEFAULT_CATALOG)
    assert len(catalog.models) >= 10
    assert catalog.categories() == ["image", "video", "audio", "text"]
    assert len(catalog.free()) >= 3
    assert all(catalog.in_category(c) for c in catalog.categories())


def test_a_good_model():
    model = parse_catalog(GOOD).get("m1")
    assert model.price_rub == Decimal("12.50") and not model.free and model.timeout_s == 120


@pytest.mark.parametrize("change,message", [
    (('price_rub = "12.50"', 'price_rub = "-1"'), "model 'm1': field 'price_rub': amount must be greater than zero"),
    (('price_rub = "12.50"', 'price_rub = "NaN"'), "model 'm1': field 'price_rub'"),
    (('price_rub = "12.50"', "price_rub = 12.5"), "model 'm1': field 'price_rub' must be roubles as a string"),
    (('category = "image"', 'category = "3d"'), "model 'm1': field 'category' must be one of"),
    (('id = "m1"', 'id = "Bad Id"'), "model 'Bad Id': field 'id' must be"),
    (('provider = "demo"\n', ""), "model 'm1': field 'provider' is required"),
    (('title = "Модель"', 'title = ""'), "model 'm1': field 'title' must be 1 to 64 characters"),
    (('inputs = [{ name = "prompt", type = "text", label = "Текст" }]',
      'inputs = [{ name = "prompt", type = "video", label = "Текст" }]'),
     "model 'm1' input 'prompt': field 'type' must be one of"),
    (('inputs = [{ name = "prompt", type = "text", label = "Текст" }]',
      'inputs = [{ name = "ar", type = "choice", label = "Ф", choices = ["1:1"], default = "2:1" }]'),
     "model 'm1' input 'ar': field 'default' '2:1' is not one of the choices"),
    (('inputs = [{ name = "prompt", type = "text", label = "Текст" }]', "inputs = []"),
     "model 'm1': field 'inputs' must list at least one input"),
    (('provider = "demo"', 'provider = "demo"\ncolour = "red"'), "model 'm1': unknown field(s) colour"),
    (('provider = "demo"', 'provider = "demo"\ntimeout_s = 1'), "model 'm1': field 'timeout_s' must be from 5 to 3600"),
])
def test_mistakes_name_the_model_and_the_field(change, message):
    with pytest.raises(CatalogError) as info:
        parse_catalog(GOOD.replace(*change))
    assert message in str(info.value)


def test_duplicate_ids_and_broken_toml():
    with pytest.raises(CatalogError, match="model id 'm1' appears twice"):
        parse_catalog(GOOD + GOOD)
    with pytest.raises(CatalogError, match="not valid TOML"):
        parse_catalog("[[model]\n")
    with pytest.raises(CatalogError, match="at least one"):
        parse_catalog("")


def test_serve_refuses_a_broken_catalog_with_exit_2(db_settings, tmp_path):
    from genbot.testing.postgres import url_for
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(GOOD.replace('category = "image"', 'category = "3d"'))
    result = run_cli("serve", env=base_env(DATABASE_URL=url_for(db_settings), CATALOG_FILE=str(catalog)),
                     cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "catalog error" in result.stderr and "field 'category'" in result.stderr
