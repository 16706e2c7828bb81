# pgtide — the two commands a new user runs are `make demo` and `make test`.
SHELL := /bin/bash
CLI := node dist/installer/cli.js
DEMO_DIR := .pgtide

.PHONY: all deps build test demo demo-stop psql bench bench-maintenance bench-instructions bench-convert bench-archive typecheck clean

all: build

# Debian packages (pg_cron, pgTAP) and npm packages, installed only when missing.
deps: node_modules/.package-lock.json
	@bash scripts/ensure-deps.sh

node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

build: deps
	npx tsc -p tsconfig.json

typecheck: deps
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p test/tsconfig.json --noEmit

# The whole suite on a throwaway local cluster (or PGTIDE_TEST_DATABASE_URL, or Docker when it answers).
test: build
	npx vitest run

# A running cluster in .pgtide/ with pgtide and the audit-log reference deployment in it.
demo: build
	$(CLI) demo --dir $(DEMO_DIR)

# Stop the demo cluster and remove .pgtide/.
demo-stop:
	@if [ -f dist/installer/cli.js ]; then $(CLI) cluster stop --dir $(DEMO_DIR); else rm -rf $(DEMO_DIR); fi

psql:
	psql "$$($(CLI) cluster url --dir $(DEMO_DIR))"

bench: bench-maintenance bench-instructions bench-convert bench-archive

bench-maintenance: build
	@bash scripts/ensure-deps.sh --bench
	node dist/bench/maintenance.js

bench-instructions: build
	@bash scripts/ensure-deps.sh --bench --valgrind
	node dist/bench/instructions.js

bench-convert: build
	node dist/bench/convert.js

bench-archive: build
	node dist/bench/archive.js

clean:
	rm -rf dist
