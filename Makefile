# Two commands matter: `make run` (set up and start everything) and `make test` (set up and test everything).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
HELPDESK_PORT := $(PORT)
export HOST HELPDESK_PORT

.PHONY: help install run migrate seed test lint format bench clean

help:
	@echo "make run    set up (virtualenv, dependencies, migrations, demo data) and start everything"
	@echo "make test   set up and run the whole test suite"
	@echo "make lint   ruff check + ruff format --check + mypy + import-linter contracts"
	@echo "make bench  benchmarks against PostgreSQL and Redis (see bench/README.md)"

$(STAMP): requirements/base.txt requirements/test.txt requirements/production.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/test.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python -m helpdesk.embedded -- $(BIN)/python manage.py seed_demo --if-embedded

run: seed
	@echo ""
	@echo "  Helpdesk is starting on http://$(HOST):$(PORT)/"
	@echo "    Agent inbox    http://$(HOST):$(PORT)/inbox/"
	@echo "    Chat page      http://$(HOST):$(PORT)/chat/website/"
	@echo "    Admin          http://$(HOST):$(PORT)/admin/"
	@echo "    API docs       http://$(HOST):$(PORT)/api/docs/"
	@echo "    Health         http://$(HOST):$(PORT)/healthz"
	@echo "  Demo logins (password: helpdesk-demo): sam (supervisor, admin), ana, ben (Support), chloe, dan (Sales)"
	@echo "  Stop everything with Ctrl-C."
	@echo ""
	@if [ -n "$$REDIS_URL" ]; then exec $(BIN)/honcho -f Procfile.external start; else exec $(BIN)/honcho -f Procfile start; fi

test: install
	VAR_DIR=$${VAR_DIR:-$(CURDIR)/var/test} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
