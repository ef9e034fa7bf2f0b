# Halite: build, test, bench, demo.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/halite/halite/pkg/version.Version=$(VERSION)
BIN      := bin
export CGO_ENABLED := 0

.PHONY: all build test test-short bench bench-micro demo demo-ha lint fuzz clean package configs

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/halite-master ./cmd/master
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/halite-minion ./cmd/minion

# The whole suite with the race detector (the race detector needs cgo).
test:
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m ./...

test-short:
	$(GO) test -count=1 -short ./...

# Multi-process benchmark: a master and a swarm on loopback (BENCH_MAX=8000 for the largest size).
bench: build
	$(GO) run ./tools/bench -bin $(BIN) -out bench/results.json

# Go micro-benchmarks of the hot paths.
bench-micro:
	$(GO) test -run=NONE -bench=. -benchmem ./pkg/...

# A master and three minions on free loopback ports, real jobs, then everything stops.
demo: build
	$(GO) run ./tools/demo -bin $(BIN)

# PostgreSQL (Debian's postgresql package) and two masters sharing it; one is killed mid-demo.
demo-ha: build
	$(GO) run ./tools/demo -ha -bin $(BIN)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# A short fuzzing pass over every decoder and parser (the corpus is kept in testdata/).
fuzz:
	$(GO) test -run=NONE -fuzz=FuzzGuardScan -fuzztime=20s ./pkg/transport
	$(GO) test -run=NONE -fuzz=FuzzServerHandshake -fuzztime=20s ./pkg/transport
	$(GO) test -run=NONE -fuzz=FuzzClientHandshake -fuzztime=20s ./pkg/transport
	$(GO) test -run=NONE -fuzz=FuzzUnmarshalAuthRequest -fuzztime=20s ./pkg/crypto
	$(GO) test -run=NONE -fuzz=FuzzUnmarshalAuthReply -fuzztime=20s ./pkg/crypto
	$(GO) test -run=NONE -fuzz=FuzzOpenPublished -fuzztime=20s ./pkg/crypto
	$(GO) test -run=NONE -fuzz=FuzzChannelOpen -fuzztime=20s ./pkg/crypto
	$(GO) test -run=NONE -fuzz=FuzzCompile -fuzztime=20s ./pkg/targeting
	$(GO) test -run=NONE -fuzz=FuzzDecode -fuzztime=20s ./pkg/wire
	$(GO) test -run=NONE -fuzz=FuzzCheckItems -fuzztime=20s ./pkg/codec
	$(GO) test -run=NONE -fuzz=FuzzClean -fuzztime=20s ./pkg/fileserver
	$(GO) test -run=NONE -fuzz=FuzzRender -fuzztime=20s ./pkg/template
	$(GO) test -run=NONE -fuzz=FuzzFTSQuery -fuzztime=20s ./pkg/jobstore
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=20s ./pkg/schedule
	$(GO) test -run=NONE -fuzz=FuzzLoginBeacon -fuzztime=20s ./pkg/beacons
	$(GO) test -run=NONE -fuzz=FuzzBlockReplace -fuzztime=20s ./pkg/states/file
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=20s ./pkg/modules/ini
	$(GO) test -run=NONE -fuzz=FuzzParseRecords -fuzztime=20s ./pkg/modules/debconf
	$(GO) test -run=NONE -fuzz=FuzzKnownHosts -fuzztime=20s ./pkg/modules/ssh
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=20s ./pkg/chatops
	$(GO) test -run=NONE -fuzz=FuzzReadFrame -fuzztime=20s ./pkg/minion

# halite-master and halite-minion as .deb, .rpm and .apk in dist/ (nfpm):
# binaries, systemd units, example configs, man pages, completions.
package: build
	$(GO) run ./tools/package -bin $(BIN) -out dist

# contrib/etc/*.yaml from the config structs (a test fails when they drift).
configs:
	$(GO) run ./tools/genconfig

clean:
	rm -rf $(BIN) dist
