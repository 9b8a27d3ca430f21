# tipdash — make targets. `make test` is what CI runs (through .ci/run).
GO      ?= go
BIN     ?= ./tipdash
FUZZTIME ?= 30s
DEMO    ?= demo

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

# A demo database from synthetic data, and a few aggregates from it.
run: build
	@mkdir -p $(DEMO)
	@rm -f $(DEMO)/tipdash.duckdb $(DEMO)/tipdash.duckdb.wal
	$(BIN) gen --n 20000 --seed 1 --out $(DEMO)/casos_2019_2025.csv
	$(BIN) gen --n 5000 --seed 2 --format xlsx --out $(DEMO)/casos_lote2.xlsx
	TIPDASH_DB=$(DEMO)/tipdash.duckdb $(BIN) ingest --entity oij --no-progress $(DEMO)/casos_2019_2025.csv | head -n 6
	TIPDASH_DB=$(DEMO)/tipdash.duckdb $(BIN) ingest --entity dgme --no-progress $(DEMO)/casos_lote2.xlsx | head -n 6
	TIPDASH_DB=$(DEMO)/tipdash.duckdb $(BIN) query --measure victims --by year,sex
	TIPDASH_DB=$(DEMO)/tipdash.duckdb $(BIN) query --measure smuggled_migrants --by border_post,sex --where year=2023
	TIPDASH_DB=$(DEMO)/tipdash.duckdb $(BIN) query --measure victims --by exploitation
	TIPDASH_DB=$(DEMO)/tipdash.duckdb $(BIN) release publish --kind conatt --note demo | tail -n 1
	TIPDASH_DB=$(DEMO)/tipdash.duckdb $(BIN) query --tier conatt --table victims_year_sex_age --where year=2023..2025
	TIPDASH_DB=$(DEMO)/tipdash.duckdb $(BIN) batches list

# Regenerate schemas/countries.json from CLDR (golang.org/x/text).
generate:
	$(GO) generate ./schemas

# Rewrite the batch-report goldens in testdata/golden after a deliberate change.
golden:
	$(GO) test ./ingest -run TestReportGolden -update

clean:
	rm -rf $(BIN) $(DEMO)
