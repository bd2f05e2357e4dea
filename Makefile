# Frontdesk: `make run` starts the demo, `make test` runs every test. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PORT ?= 8001
MAIL_PORT ?= 1025
PYTEST_WORKERS ?= 2

.PHONY: run test lint format bench install chromium nginx redis clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: install
	$(BIN)/frontdesk db upgrade
	FRONTDESK_PUBLIC_URL=http://$(HOST):$(PORT) $(BIN)/frontdesk demo --demo-host-url http://$(HOST):$(DEMO_PORT)
	FRONTDESK_PUBLIC_URL=http://$(HOST):$(PORT) FRONTDESK_MAIL_CATCHER=127.0.0.1:$(MAIL_PORT) $(BIN)/frontdesk serve --host $(HOST) --port $(PORT) --demo-host-port $(DEMO_PORT)

# Debian's Chromium drives the browser tests (Playwright's own download cannot work offline).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing and cannot be installed here: browser tests will skip"; \
	  fi; \
	fi

# Debian's nginx stands in front of the server in the tests (slowloris, scale-out), as it does
# in production (docs/deployment.md). Tests start their own nginx; the package's service is not
# used (and in a container policy-rc.d keeps it from starting).
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's nginx for the reverse-proxy tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else \
	    echo "nginx is missing and cannot be installed here: reverse-proxy tests will skip"; \
	  fi; \
	fi

# redis-server: the scale-out tests use the machine's Redis on 127.0.0.1:6379 and start private
# ones to stop and restart.
redis:
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's redis-server for the scale-out tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "redis-server is missing and cannot be installed here: scale-out tests will skip"; \
	  fi; \
	fi

lint: install
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench

format: install
	$(BIN)/ruff check --fix server tests bench
	$(BIN)/ruff format server tests bench

test: install chromium nginx redis lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

bench: install
	$(BIN)/python bench/booking.py
	$(BIN)/python bench/knowledge.py
	$(BIN)/python bench/chat.py
	$(BIN)/python bench/widget.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
