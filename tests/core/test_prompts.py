from __future__ import annotations

import pytest

from prompts import MissingVariableError, TemplateMissingError, render, template_names


def test_unknown_template_names_the_known_ones() -> None:
    with pytest.raises(TemplateMissingError, match="No prompt template 'nope'"):
        render("nope")


def test_every_template_fails_on_a_missing_variable() -> None:
    names = template_names()
    assert names, "prompt templates must ship with the package"
    for name in names:
        with pytest.raises(MissingVariableError, match=name):
            render(name)
