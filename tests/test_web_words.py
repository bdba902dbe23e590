"""Every word a page asks for exists in Chinese and English, and the forms read what a person types as the CLI does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gis.coords import COORDINATE_SYSTEMS
from gis.errors import InputError
from gis.ways import NETWORK_TYPES
from partition.ruleoptions import LOCKS_OPTION, RULE_OPTIONS, SOLVE_OPTIONS
from partition.rules import Rules
from web.forms import local_path, rules_from_form, settings_from_form
from web.i18n import MESSAGES, OPTION_TEXT, translator
from web.plans import DOWNLOAD_WORDS
from web.runs import STAGES
from web.store import PROPOSAL_STATUSES, RUN_STATES, STUDY_STATES

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
LITERAL_KEY = re.compile(r"""\bt\('([a-z0-9_]+)'\s*[,)]""")  # t('key') or t('key', value=...), not t('prefix_' ~ x)


def test_every_key_the_templates_use_has_both_languages():
    used = {key for page in TEMPLATES.glob("*.html") for key in LITERAL_KEY.findall(page.read_text(encoding="utf-8"))}
    built = {f"{prefix}{value}" for prefix, values in (
        ("state_", STUDY_STATES), ("run_", RUN_STATES), ("p_", PROPOSAL_STATUSES), ("stage_", STAGES),
        ("coords_", COORDINATE_SYSTEMS), ("network_", NETWORK_TYPES), ("source_", ("demo", "upload")),
        ("status_", ("optimal", "feasible", "given")), ("choice_", {c for o in RULE_OPTIONS for c in o.choices}),
    ) for value in values} | set(DOWNLOAD_WORDS.values())
    missing = sorted((used | built) - set(MESSAGES))
    assert not missing, missing
    assert all(zh and en and zh != en or key == "dl_gpkg" for key, (zh, en) in MESSAGES.items())


def test_every_option_has_words_and_english_is_the_command_lines():
    options = (*RULE_OPTIONS, LOCKS_OPTION, *SOLVE_OPTIONS)
    assert set(OPTION_TEXT) == {o.name for o in options}
    zh, en = translator("zh"), translator("en")
    for option in options:
        assert en.help(option.name) == option.help and zh.help(option.name) != option.help
        assert zh.option(option.name) and en.option(option.name)


def test_the_form_reads_rules_as_the_command_line_does():
    form = {o.name: o.text(o.default) for o in RULE_OPTIONS if not o.switch}
    assert rules_from_form(form, str) == Rules()
    changed = rules_from_form({**form, "members": "1-7", "cores": "20", "keep_township": "on", "min_rural": "",
                               "indicator_band": "backbone_teachers_per100:0.3"}, str)
    assert changed == Rules(members=(1, 7), cores=20, keep_township=True, indicator_band=("backbone_teachers_per100", 0.3))
    with pytest.raises(InputError, match="^balance: "):
        rules_from_form({**form, "balance": "-1"}, str)
    with pytest.raises(InputError, match="time_limit"):
        settings_from_form({"seed": "0", "time_limit": "99999"}, str)
    assert settings_from_form({"seed": "3", "time_limit": ""}, str)["seed"] == 3


@pytest.mark.parametrize(("target", "expected"), [
    ("/studies/3", "/studies/3"), ("//evil.example", "/"), ("https://evil.example", "/"), ("/\\evil", "/"),
    ("", "/"), ("/ x", "/"), (None, "/"),
])
def test_only_local_paths_are_followed(target, expected):
    assert local_path(target) == expected
