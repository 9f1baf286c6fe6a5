# Xinfang: `make run` to start a demo county, `make test` to run every test.
VENV := .venv
PY := $(VENV)/bin/python
PIP_FLAGS := --disable-pip-version-check -q
HOST ?= 127.0.0.1:8000

.PHONY: run serve serve-now install install-run fonts chromium migrate demo check test test-sqlite test-postgres bench clean

# PDF notices embed Noto Serif CJK from Debian's fonts-noto-cjk (settings.NOTICE_FONT).
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc

# `make run` installs what running needs (no bytecode compiled ahead: Python compiles each module on first
# import, which saves a third of the install); `make test` adds the test tools ([test] in pyproject.toml).
$(VENV)/.installed-run: pyproject.toml
	test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) --no-compile -e .
	touch $@

$(VENV)/.installed: $(VENV)/.installed-run
	$(PY) -m pip install $(PIP_FLAGS) -e '.[test]'
	touch $@

fonts:
	@test -e $(CJK_FONT) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null) \
		|| echo "warning: PDF notices need fonts-noto-cjk (apt-get install fonts-noto-cjk) or XINFANG_NOTICE_FONT"

install: $(VENV)/.installed fonts
install-run: $(VENV)/.installed-run fonts

migrate: install-run
	$(PY) manage.py migrate --noinput

# The demo county, and beside it (the other core) the quick category model when none is installed (first
# reading only: about a minute, so that proposals work from the first registration); the schedule's job
# category_model_full trains the full one (sentence embeddings, about 20 minutes) in the background.
demo: migrate
	@$(PY) manage.py routing_train --if-missing --quick --verbosity 0 & train=$$!; \
		$(PY) manage.py load_demo --petitions 3000 && $(PY) manage.py collectstatic --noinput --verbosity 0; \
		demo=$$?; wait $$train; train=$$?; exit $$(( demo || train ))

# `make run` serves with gunicorn (xinfang/serve.py): WORKERS processes of THREADS threads each (at
# most WORKERS×THREADS requests at once; more wait in its queue rather than fail), DEBUG off, static
# files by WhiteNoise from data/static, an access log without query strings. The first start makes a
# random SECRET_KEY in data/secret_key (xinfang.lib.secret_key), kept for later starts.
# Two task workers (tasks_worker: django.tasks kept in the database) run beside the server and stop with
# it: one for the queue "default", which keeps the schedule going (定时任务 in the admin: notices to
# petitioners every 30 s, printed by the console backends here; deadline warnings; supervision rules;
# statistics; month close; scheduled reports; the idempotency purge), and one, at low priority (nice), for
# the queue "slow" (the full category model), so that a long job never holds up the notices.
WORKERS ?= 2
THREADS ?= 8
run: export XINFANG_SECRET_KEY_CREATE := 1
# jieba's old string escapes warn when its modules are compiled on first import (no bytecode ahead)
run: export PYTHONWARNINGS := ignore::SyntaxWarning
run: demo
	@test -s data/secret_key || echo "warning: data/ was filled before it had a secret key, under the public development key; 'make clean' (or delete data/xinfang.sqlite3*) and 'make run' start afresh with a random one"
	@$(PY) manage.py demo_logins
	@DEBUG=0 $(MAKE) --no-print-directory serve-now

# `make serve`: as in production, without the demo (docs/security.md, "What an operator must do"): XINFANG_PRODUCTION=1 (DEBUG off, HTTPS
# only) with SECRET_KEY, ALLOWED_HOSTS, XINFANG_DATA_KEYS and XINFANG_LOOKUP_KEY from the environment;
# `check --deploy` must be clean; then migrate, static files, the two task workers and gunicorn.
serve: install-run
	XINFANG_PRODUCTION=1 $(PY) manage.py check --deploy --fail-level WARNING
	XINFANG_PRODUCTION=1 $(PY) manage.py migrate --noinput
	XINFANG_PRODUCTION=1 $(PY) manage.py collectstatic --noinput --verbosity 0
	@XINFANG_PRODUCTION=1 $(MAKE) --no-print-directory serve-now

# The server and its workers (both targets above): gunicorn, a task worker for the queue "default" (which
# keeps the schedule going) and one at low priority for "slow"; they stop with the server.
serve-now:
	export XINFANG_BIND=$(HOST) XINFANG_WORKERS=$(WORKERS) XINFANG_THREADS=$(THREADS); \
		$(PY) manage.py tasks_worker --queue-name default --verbosity 0 & worker=$$!; \
		nice -n 10 $(PY) manage.py tasks_worker --queue-name slow --no-schedule --verbosity 0 & slow=$$!; \
		trap 'kill $$worker $$slow 2>/dev/null' EXIT INT TERM; \
		$(VENV)/bin/gunicorn --config python:xinfang.serve xinfang.wsgi

# The browser tests (tests/browser) drive Debian's chromium through Playwright; never `playwright install`
# (it downloads a browser build). Without chromium they are skipped, except under CI=true, where they fail.
CHROMIUM := /usr/bin/chromium

chromium:
	@test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "warning: the browser tests need Debian's chromium (apt-get install chromium); skipped without it"
	@command -v pdftotext >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null) \
		|| echo "warning: the PDF notice test reads text with poppler's pdftotext (apt-get install poppler-utils); skipped without it"

# The house first (seconds): lint, format, the layers of docs/architecture.md, migrations that match the models.
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	env -u DATABASE_URL $(PY) manage.py makemigrations --check --dry-run

# The tests run in TEST_WORKERS processes (pytest-xdist; auto: one per core), each with its own test database.
TEST_WORKERS ?= auto
test: install chromium check
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(PY) -m pytest -n $(TEST_WORKERS)
	@if [ -n "$$DATABASE_URL" ]; then echo "== tests on $$DATABASE_URL =="; $(PY) -m pytest -n $(TEST_WORKERS); fi

bench: install
	env -u DATABASE_URL $(PY) bench/run.py
	@if [ -n "$$DATABASE_URL" ]; then $(PY) bench/run.py; fi

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis

# Refresh xinfang/locale/zh_Hans/LC_MESSAGES/django.po from the code and compile django.mo
# (needs GNU gettext; the .mo is committed so that running the project does not).
I18N_IGNORE := --ignore=.venv --ignore=data --ignore=tests --ignore=bench --ignore=scripts --ignore=docs
.PHONY: messages
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete $(I18N_IGNORE)
	$(PY) manage.py compilemessages -l zh_Hans $(I18N_IGNORE)
