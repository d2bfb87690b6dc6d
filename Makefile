# StyleBridge build. `make test` and `make run` work on a fresh Debian 12 machine with the .NET SDK:
# they install the system packages they need (once; quiet when present), build the native shim and the solution.
SHELL := /bin/bash
.DEFAULT_GOAL := build

APT_PACKAGES := libtorch-dev libopenblas0-pthread cmake g++ make libturbojpeg0-dev libspng-dev libwebp-dev redis-server python3-torch python3-numpy
NATIVE_BUILD := artifacts/native-build
NATIVE_LIB := artifacts/native/libsbtorch.so
DOTNET := dotnet
DOTNET_FLAGS := -nologo -v q
# Torch prefix for a CUDA build: make native TORCH_PREFIX=/opt/libtorch
TORCH_PREFIX ?=

.PHONY: deps native build test test-python bench run clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

native: deps $(NATIVE_LIB)

$(NATIVE_LIB): src/native/CMakeLists.txt $(wildcard src/native/include/*.h src/native/src/*.cpp src/native/src/*.h src/native/src/*.def)
	cmake -S src/native -B $(NATIVE_BUILD) -DCMAKE_BUILD_TYPE=Release -DSB_OUTPUT_DIR=$(CURDIR)/artifacts/native \
	  $(if $(TORCH_PREFIX),-DCMAKE_PREFIX_PATH=$(TORCH_PREFIX)) > /dev/null
	cmake --build $(NATIVE_BUILD) -j$$(nproc)

build: native
	$(DOTNET) build Api.sln -c Release $(DOTNET_FLAGS)

test: build
	tools/run-tests.sh

test-python: deps
	/usr/bin/python3 -m unittest discover -s weights -p 'test_*.py'

bench: build
	$(DOTNET) run -c Release --no-build --project bench/StyleBridge.Benchmarks -- $(BENCH_ARGS)

run:
	@echo "The HTTP service arrives with its own issue; until then use the CLI: dotnet run --project src/StyleBridge.Cli -- --help"

clean:
	rm -rf artifacts
	$(DOTNET) clean Api.sln $(DOTNET_FLAGS) || true
