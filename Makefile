# The two commands: `make verify` and `make test`. Both install what they need.
SHELL := /bin/bash
export PG_MAJOR ?= 15

.PHONY: setup system-deps deps test verify typecheck lint knip clean

system-deps:
	@scripts/setup-system.sh

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.installed

setup: system-deps deps

typecheck: deps
	npx tsc -p tsconfig.json

# eslint's rules, then the formatter's check (prettier, .prettierrc.json;
# `npx prettier --write .` fixes what it reports).
lint: deps
	npx eslint .
	npx prettier --check --log-level warn "**/*.{ts,mts,js,mjs}"

# Every import declared in package.json, no dependency or file unused.
knip: deps
	npx knip

test: setup typecheck lint knip
	@mkdir -p reports
	@rm -f reports/vitest.json
	npx vitest run

verify: setup
	./bin/schemaproof.js verify

clean:
	rm -rf reports node_modules
