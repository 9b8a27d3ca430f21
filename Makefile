# tipdash — make targets. `make test` is what CI runs (through .ci/run).
GO      ?= go
BIN     ?= ./tipdash
FUZZTIME ?= 30s

# The dashboard serves echarts from the binary (never a CDN): `make assets`
# fetches the npm package once, checks its pinned checksum and keeps only
# dist/echarts.min.js (gitignored, embedded with //go:embed).
ECHARTS_VERSION ?= 5.4.3
ECHARTS_SHA256  := 89f6b509a83b3694645a8ec0dc8808999bb96610eac9e718fbda4726bb694eaf
ECHARTS_JS      := dashboard/static/echarts.min.js
NPM_REGISTRY    ?= https://registry.npmjs.org

.PHONY: all build test vet fuzz bench run generate golden clean assets screenshots

all: build

assets: $(ECHARTS_JS)

$(ECHARTS_JS):
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tgz="$$tmp/echarts-$(ECHARTS_VERSION).tgz"; \
	if command -v curl >/dev/null 2>&1; then \
		curl -fsSL -o "$$tgz" "$(NPM_REGISTRY)/echarts/-/echarts-$(ECHARTS_VERSION).tgz"; \
	else \
		(cd "$$tmp" && npm pack --silent "echarts@$(ECHARTS_VERSION)" >/dev/null); \
	fi; \
	echo "$(ECHARTS_SHA256)  $$tgz" | sha256sum -c --quiet - || { echo "echarts $(ECHARTS_VERSION): checksum mismatch" >&2; exit 1; }; \
	tar -xzf "$$tgz" -C "$$tmp" package/dist/echarts.min.js; \
	mv "$$tmp/package/dist/echarts.min.js" $@; \
	echo "$@: echarts $(ECHARTS_VERSION), $$(wc -c < $@) bytes"

build: assets
	$(GO) build -o $(BIN) ./cmd/tipdash

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (echo "gofmt would change:"; gofmt -l .; exit 1)

# Unit, integration and end-to-end tests, fuzz seed corpora included; then
# the race detector over the packages that run goroutines on shared data
# (-short leaves out the tests that write large hostile files).
test: assets vet
	$(GO) test -count=1 -timeout 40m ./...
	$(GO) test -count=1 -timeout 40m -race -short ./ingest ./store

# Coverage-guided fuzzing of the parsers and the classifier.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzCSV$$' -fuzztime $(FUZZTIME) ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzJSONL$$' -fuzztime $(FUZZTIME) ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzXLSX$$' -fuzztime $(FUZZTIME) ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzXLSXSheet$$' -fuzztime $(FUZZTIME) ./ingest
	$(GO) test -run '^$$' -fuzz '^FuzzClassify$$' -fuzztime $(FUZZTIME) ./classify

# Speed and memory against baselines measured in the same run (see README).
bench: build
	$(GO) run ./cmd/bench -tipdash $(BIN)

# The server over a demo database (Costa Rica-like volumes, a conatt and an
# approved public release, one account per role, passwords printed at
# start), on $(TIPDASH_ADDR) (default 127.0.0.1:8080).
run: build
	$(BIN) serve --demo

# Regenerate schemas/countries.json from CLDR (golang.org/x/text).
generate:
	$(GO) generate ./schemas

# The README's pictures of the dashboard and the upload page, taken by the
# browser tests (chromium, headless) over generated data.
screenshots: assets
	TIPDASH_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run '^TestBrowser' ./dashboard

# Rewrite the batch-report goldens in testdata/golden after a deliberate change.
golden:
	$(GO) test ./ingest -run TestReportGolden -update

clean:
	rm -rf $(BIN)
