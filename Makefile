# kmipd: a KMIP server over mutual TLS.
#   make run    build and start a server with its dev PKI and data under ./data
#   make test   run every test (needs python3-pykmip, softhsm2 and postgresql; .ci/run installs them)

GO        ?= go
DATA_DIR  ?= ./data
LISTEN    ?= 0.0.0.0:5696
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)

.PHONY: all build run test vet clean bench crashtest

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/kmipd ./cmd/kmipd
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/kmipctl ./cmd/kmipctl

run: build
	./bin/kmipd --data-dir $(DATA_DIR) --listen $(LISTEN) --https-listen 0.0.0.0:5697 --metrics-listen 127.0.0.1:9696 --log-format console

vet:
	$(GO) vet ./...

# test: the OASIS vectors come from $KMIP_VECTORS, else ../shared/kmip-vectors;
# without them conformance/corpus/check says which tests skip (under CI=true they fail).
test: vet
	@$(GO) run ./conformance/corpus/check
	$(GO) test -count=1 -timeout 20m ./...

# crashtest: 20 rounds of SIGKILL under 16 writing clients (the short form runs in test)
crashtest:
	$(GO) test -count=1 ./conformance -run TestCrashRecovery -crash.rounds 20 -timeout 30m -v

# bench: kmipd and pykmip-server side by side (a few minutes; not part of test)
bench:
	scripts/bench.sh

clean:
	rm -rf bin
