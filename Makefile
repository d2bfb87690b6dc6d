# StyleBridge build. `make test` and `make run` work on a fresh Debian 12 machine with the .NET SDK:
# they install the system packages they need (once; quiet when present) and build the solution. TorchSharp and
# SkiaSharp come from NuGet; g++ and patchelf serve the libstdc++ compatibility step (tools/libstdcxx-compat),
# python3-torch the reference side of the benchmarks and the weight-converter tests.
SHELL := /bin/bash
.DEFAULT_GOAL := build

APT_PACKAGES := g++ make patchelf python3 python3-torch python3-numpy libopenblas0-pthread redis-server libfontconfig1 chromium curl
DOTNET := dotnet
DOTNET_FLAGS := -nologo -v q
# TorchSharp backend: cpu (default) or cuda (TorchSharp-cuda-linux, for the GPU image)
TORCH_BACKEND ?= cpu

.PHONY: deps build test test-golden test-python bench quality run load weights clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(DOTNET) build Api.sln -c Release -p:TorchBackend=$(TORCH_BACKEND) $(DOTNET_FLAGS)

test: build
	tools/run-tests.sh

# only the golden-parity tests, one line per golden set: golden <area>/<path>/<name> passed|failed
test-golden: build
	/usr/bin/python3 tools/test-golden.py

test-python: deps
	/usr/bin/python3 -m unittest discover -s weights -p 'test_*.py'

bench: build
	$(DOTNET) run -c Release --no-build --project bench/StyleBridge.Benchmarks -- $(BENCH_ARGS)

# the Shapes world's measurements of weights/shapes: docs/quality.md and docs/quality/*.png
quality: build
	$(DOTNET) run -c Release --no-build --project src/StyleBridge.Cli -- eval $(QUALITY_ARGS)

# the service on its embedded default (CPU, in-memory cache, the Shapes models) where ASPNETCORE_URLS says
# (default http://127.0.0.1:8080); REDIS=1 also starts a local redis-server on 127.0.0.1:6399 and caches there
ASPNETCORE_URLS ?= http://127.0.0.1:8080
REDIS ?=
run: build
	@bash tools/libstdcxx-compat/apply.sh src/StyleBridge.Api/bin/Release/net10.0
	@echo "StyleBridge: playground $(ASPNETCORE_URLS)/   Swagger $(ASPNETCORE_URLS)/swagger   metrics $(ASPNETCORE_URLS)/metrics"
	@if [ -n "$(REDIS)" ]; then \
	  redis-server --port 6399 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null && echo "redis-server on 127.0.0.1:6399"; \
	fi
	cd src/StyleBridge.Api && ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS=$(ASPNETCORE_URLS) \
	  $(if $(REDIS),Cache__Redis=127.0.0.1:6399) $(DOTNET) bin/Release/net10.0/StyleBridge.Api.dll

# a bounded load generator against the service on loopback (127.0.0.1:8099): docs/performance.md. It measures the
# service's capacity, so the per-key policies (rate limit, queue quota) are lifted; the queue's capacity (503) stays.
load: build
	@bash tools/libstdcxx-compat/apply.sh src/StyleBridge.Api/bin/Release/net10.0
	@mkdir -p artifacts/load && echo "server log: artifacts/load/server.log"
	@(cd src/StyleBridge.Api && exec env ASPNETCORE_URLS=http://127.0.0.1:8099 StyleBridge__RateLimit__PermitsPerMinute=1000000 \
	  StyleBridge__RateLimit__Burst=1000000 Serving__MaxQueuedPerApiKey=1000000 \
	  $(DOTNET) bin/Release/net10.0/StyleBridge.Api.dll >../../artifacts/load/server.log 2>&1) & \
	pid=$$!; trap "kill $$pid" EXIT; \
	for i in $$(seq 1 120); do curl -fs http://127.0.0.1:8099/health/ready >/dev/null && break; sleep 1; done; \
	STYLEBRIDGE_PID=$$pid /usr/bin/python3 tools/load.py

# the official FFHQ files (weights/manifest.json) into weights/ffhq/, checked and converted; needs network
weights: build
	/usr/bin/python3 tools/fetch-weights.py

clean:
	rm -rf artifacts
	$(DOTNET) clean Api.sln $(DOTNET_FLAGS) || true
