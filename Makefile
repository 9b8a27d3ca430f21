# tipdash — make targets. `make test` is what CI runs (through .ci/run).
GO      ?= go
BIN     ?= ./tipdash
FUZZTIME ?= 30s

.PHONY: all build test vet fuzz bench run generate golden clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tipdash

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (echo "gofmt would change:"; gofmt -l .; exit 1)

# Unit, integration and end-to-end tests, fuzz seed corpora included; then
# the race detector over the packages that run goroutines on shared data
# (-short leaves out the tests that write large hostile files).
test: vet
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race -short ./ingest ./store

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

# Rewrite the batch-report goldens in testdata/golden after a deliberate change.
golden:
	$(GO) test ./ingest -run TestReportGolden -update

clean:
	rm -rf $(BIN)
