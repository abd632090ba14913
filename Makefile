# longnet front door. `make test` and `make demo` work on a fresh Debian machine:
# each installs what is missing (apt-get, as root), builds, then does its job.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# Exactly the Debian packages the build needs (the toolchain, then the libraries).
BUILD_DEPS := cmake g++ make pkg-config \
  libdnnl-dev libtbb-dev libsentencepiece-dev libyaml-cpp-dev libcli11-dev doctest-dev

.PHONY: all deps build test demo bench clean format

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

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure

demo: build
	@echo "make demo arrives with training (issue: the language model and 'longnet train')."
	@echo "For now the build works; try: $(BUILD_DIR)/longnet bench matmul"

bench: build
	$(BUILD_DIR)/longnet bench matmul

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD_DIR)
