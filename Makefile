# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask
DEMO   ?= 1
PYTEST_ARGS ?=

.PHONY: run test install lint translations compile-translations clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit("Serambi needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps: reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

compile-translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d forum/translations 2>&1 | grep -v "^compiling" || true

run: $(VENV)/.installed compile-translations
	$(FLASK) db upgrade
	@if [ "$(DEMO)" != "0" ]; then $(FLASK) demo load; fi
	$(FLASK) search reindex --if-needed
	$(FLASK) run

test: $(VENV)/.installed-test compile-translations
	$(PY) -m pytest -n auto --durations=15 $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

# Re-extract messages after changing user-visible strings, then translate the new ones.
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
		--project Serambi --copyright-holder Serambi -o forum/translations/messages.pot .
	$(VENV)/bin/pybabel update -i forum/translations/messages.pot -d forum/translations --no-fuzzy-matching
	$(PY) tools/fill_english_catalogue.py

clean:
	rm -rf $(VENV) .pytest_cache
