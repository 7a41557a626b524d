# Bedside: `make run` starts the demo ward server and a kiosk paired to it; `make test` runs
# every test. Both install the Debian packages they need first (scripts/deps.sh).

GO       ?= go
BIN      := bin
GOFLAGS  ?=
TESTFLAGS ?= -timeout 45m
export CGO_ENABLED := 1

.PHONY: all deps deps-run deps-test build server kiosk peer run test bench fuzz vet clean

all: build

deps:
	@bash scripts/deps.sh build

deps-run:
	@bash scripts/deps.sh run

deps-test:
	@bash scripts/deps.sh test

build: deps server kiosk peer

# The ward server is pure Go: one static binary.
server:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS) -o $(BIN)/bedside-server ./cmd/bedside-server

# no_emoji leaves out Fyne's 4 MB colour emoji font, which Fyne parses once per text style it
# draws (13 MB of the kiosk's memory); emoji in names then come from the system's fonts.
KIOSK_TAGS ?= no_emoji

kiosk: deps
	$(GO) build $(GOFLAGS) -tags '$(KIOSK_TAGS)' -o $(BIN)/bedside .

# A headless call-engine peer, for load tests, benchmarks and demos without a screen.
peer: deps
	$(GO) build $(GOFLAGS) -o $(BIN)/bedside-peer ./cmd/bedside-peer

run: deps-run server kiosk
	@bash scripts/run.sh

vet: deps
	$(GO) vet ./...

test: deps-test
	$(GO) vet ./...
	$(GO) test $(TESTFLAGS) ./...

# Benchmarks print our figures beside a reference measured in the same run. One package at a
# time (-p 1), so that two packages' benchmarks never share the CPU and skew each other.
bench: deps-test
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -timeout 60m ./...

fuzz: deps
	@for t in $$(grep -rl 'func Fuzz' --include='*_test.go' . | xargs -n1 dirname | sort -u); do \
		for f in $$(grep -ho 'func Fuzz[A-Za-z0-9_]*' $$t/*_test.go | cut -d' ' -f2); do \
			$(GO) test ./$$t -run '^$$' -fuzz "^$$f$$" -fuzztime 20s || exit 1; \
		done; \
	done

clean:
	rm -rf $(BIN)
