# alicloud-image-tools: image-as-code for Alibaba Cloud, as small tools and a recipe.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
LIBEXECDIR ?= $(PREFIX)/libexec/alicloud-image-tools
DESTDIR ?=

SWIFT ?= swift
STRIP ?= strip
# Identical flags on every call, or SwiftPM rebuilds; skipping system-module indexing
# halves clean builds (../shared/ref/swift-linux.md §1).
SWIFTFLAGS = -Xswiftc -index-ignore-system-modules
# Release tools carry the Swift runtime and Foundation inside (no dynamic loading of
# /opt/swift libraries): ecs-call took 1.5x curl's time instead of 2.4x (issue 2,
# bench/ecs-call.sh), and an installed tool does not need the toolchain. libcurl stays shared.
# The C++ runtime the Swift runtime needs is linked in too (issue 16): loading the shared
# libstdc++ and libgcc_s cost every ecs-call start 1,667 symbol bindings and two more objects
# in every symbol lookup, 2.5 M of its 22 M instructions. swiftc's -static-stdlib names -lstdc++
# itself, so -static-libstdc++ has no effect; a directory holding only libstdc++.a, searched
# before the compiler's own, makes that -lstdc++ take the archive. Without libstdc++.a
# (libstdc++-12-dev) the tools load the shared ones (Tests/e2e/install-lean.sh fails then).
CXX_STATIC_DIR = .build/static-libstdc++
CXX_STATIC := $(shell a=$$(clang -print-file-name=libstdc++.a 2>/dev/null) && [ -f "$$a" ] && echo "$$a")
RELEASEFLAGS = -c release --static-swift-stdlib $(SWIFTFLAGS) \
	$(if $(CXX_STATIC),-Xswiftc -Xclang-linker -Xswiftc -L$(CURDIR)/$(CXX_STATIC_DIR) -Xswiftc -Xclang-linker -Xswiftc -static-libgcc)
TOOLS = ecs-call tmpl-render ssh-run winrm-run snap-wait img-import ecs-sim boot-command http-serve
MANPAGES = man/ecs-call.1 man/tmpl-render.1 man/ssh-run.1 man/winrm-run.1 man/snap-wait.1 man/img-import.1 man/ecs-sim.1 man/alicloud-build.1 man/boot-command.1 man/http-serve.1

SCRIPT_LIBS = common.sh ecs-build.sh reclaim.sh ecs-sim.sh import.sh uptodate.sh breakpoint.sh provision.sh qemu-build.sh

# make test runs the CI-sized soak with a fixed seed, so a run is reproducible; make soak
# (and SEED=... make test) draw other campaigns.
TEST_SOAK_SEED = 29003

RELEASE_BIN = .build/release
DEBUG_BIN = .build/debug
# The e2e tests and the soak run their emulated instances' sshd on port 22 of 127.0.0.x:
# where the machine's own sshd holds port 22 on every address, they run (as root) in a
# private network namespace with only a loopback interface (make demo does the same).
OWN_NET = ECS_SIM_BIN=$(DEBUG_BIN)/ecs-sim sh scripts/lib/own-net.sh

.PHONY: all build deps test unit e2e soak bench lint install install-unstripped uninstall clean demo image import cleanup reclaim

all: deps
	@mkdir -p $(CXX_STATIC_DIR); if [ -n "$(CXX_STATIC)" ]; then ln -sf "$(CXX_STATIC)" $(CXX_STATIC_DIR)/libstdc++.a; \
	else echo "make: no libstdc++.a (apt-get install libstdc++-12-dev): the release tools load the shared libstdc++"; fi
	$(SWIFT) build $(RELEASEFLAGS)

build: deps
	$(SWIFT) build $(SWIFTFLAGS)

# System packages the build and the tests need; installed when root, named otherwise.
deps:
	@sh scripts/install-deps

# A test that cannot run here exits 77 and is reported skipped, never ok. As root (as CI
# runs it, after deps installed everything) a skipped e2e script or soak fails make test,
# so a missing package cannot pass unnoticed; without root they are only reported.
test: deps
	$(SWIFT) build --build-tests $(SWIFTFLAGS)
	$(SWIFT) test --skip-build $(SWIFTFLAGS)
	@E2E_NO_SKIP=$$([ "$$(id -u)" -ne 0 ] || echo 1) $(OWN_NET) sh Tests/e2e/run $(DEBUG_BIN)
	@rc=0; SEED=$${SEED:-$(TEST_SOAK_SEED)} $(OWN_NET) sh Tests/soak/soak.sh $(DEBUG_BIN) || rc=$$?; \
	if [ "$$rc" -eq 77 ] && [ "$$(id -u)" -ne 0 ]; then rc=0; fi; exit "$$rc"

unit: deps
	$(SWIFT) test $(SWIFTFLAGS)

e2e: build
	@$(OWN_NET) sh Tests/e2e/run $(DEBUG_BIN)

# Randomised builds under faults, signals and load; nothing may leak (Tests/soak/soak.sh:
# SEED=, SOAK_BUILDS=, SOAK_MINUTES= ...). The CI default takes about 2-3 minutes.
soak: build
	@$(OWN_NET) sh Tests/soak/soak.sh $(DEBUG_BIN)

bench: all
	@for b in bench/*.sh; do sh "$$b" $(RELEASE_BIN) || exit 1; done

lint:
	@if command -v shellcheck >/dev/null 2>&1; then shellcheck -x -s sh scripts/alicloud-build scripts/demo scripts/install-deps scripts/lib/*.sh Tests/e2e/*.sh Tests/e2e/lib/*.sh Tests/e2e/run Tests/soak/soak.sh bench/*.sh; else echo "lint: shellcheck absent, skipped"; fi
	@if command -v mandoc >/dev/null 2>&1; then mandoc -Tlint -Wwarning $(MANPAGES); else echo "lint: mandoc absent, skipped"; fi
	@if $(SWIFT) format --version >/dev/null 2>&1; then $(SWIFT) format lint -r Sources Tests; else echo "lint: swift format absent, skipped"; fi

# The installed tools are stripped (issue 16: at most 20 MB each); install-unstripped keeps
# their symbols for a debugger.
install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(LIBEXECDIR)
	for t in $(TOOLS); do cp -f $(RELEASE_BIN)/$$t $(DESTDIR)$(BINDIR)/$$t; $(STRIP) $(DESTDIR)$(BINDIR)/$$t; chmod 755 $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANPAGES); do if [ -f $$m ]; then cp -f $$m $(DESTDIR)$(MANDIR)/man1/; chmod 644 $(DESTDIR)$(MANDIR)/man1/$${m#man/}; fi; done
	mkdir -p $(DESTDIR)$(LIBEXECDIR)/lib
	cp -f scripts/alicloud-build $(DESTDIR)$(LIBEXECDIR)/alicloud-build
	for f in $(SCRIPT_LIBS); do cp -f scripts/lib/$$f $(DESTDIR)$(LIBEXECDIR)/lib/$$f; done
	printf '#!/bin/sh\nexec sh %s/alicloud-build "$$@"\n' '$(LIBEXECDIR)' >$(DESTDIR)$(BINDIR)/alicloud-build
	chmod 755 $(DESTDIR)$(BINDIR)/alicloud-build $(DESTDIR)$(LIBEXECDIR)/alicloud-build

install-unstripped:
	$(MAKE) install STRIP=:

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man1/$${m#man/}; done
	rm -f $(DESTDIR)$(BINDIR)/alicloud-build $(DESTDIR)$(LIBEXECDIR)/alicloud-build
	for f in $(SCRIPT_LIBS); do rm -f $(DESTDIR)$(LIBEXECDIR)/lib/$$f; done
	-rmdir $(DESTDIR)$(LIBEXECDIR)/lib $(DESTDIR)$(LIBEXECDIR) 2>/dev/null

# --- the recipe ---------------------------------------------------------------------
TEMPLATE ?= examples/alicloud.json
ON_ERROR ?= cleanup
VAR_FILE ?=
VARS ?=
ONLY ?=
EXCEPT ?=
FORCE ?=
RUN = PATH="$(CURDIR)/$(RELEASE_BIN):$$PATH" sh scripts/alicloud-build

# Build the images a Packer template describes: make image TEMPLATE=alicloud.json
# A build whose inputs have not changed is not built again (-skip-unchanged); FORCE=1 builds anyway.
image: all
	$(RUN) $(foreach f,$(VAR_FILE),-var-file $(f)) $(VARS) $(if $(ONLY),-only $(ONLY)) $(if $(EXCEPT),-except $(EXCEPT)) -on-error=$(ON_ERROR) -skip-unchanged $(if $(filter 1,$(FORCE)),-force) $(TEMPLATE)

# A local disk file (QCOW2/VHD/RAW) to an image through OSS, as Packer's alicloud-import
# post-processor: make import IMAGE=disk.qcow2 [TEMPLATE=t.json] [BUCKET=b] [IMAGE_NAME=n] [REGION=r]
# (settings from the template's alicloud-import post-processor, the variables override them).
IMAGE ?=
BUCKET ?=
IMAGE_NAME ?=
REGION ?=
ifneq ($(filter import,$(MAKECMDGOALS)),)
ifeq ($(IMAGE),)
$(error make import: IMAGE=disk.qcow2 is required)
endif
endif
import: all
	$(RUN) import $(if $(filter command line environment,$(origin TEMPLATE)),-template $(TEMPLATE) $(foreach f,$(VAR_FILE),-var-file $(f)) $(VARS) $(if $(ONLY),-only $(ONLY))) \
		$(if $(BUCKET),-bucket $(BUCKET)) $(if $(IMAGE_NAME),-image-name $(IMAGE_NAME)) $(if $(REGION),-region $(REGION)) -on-error=$(ON_ERROR) $(IMAGE)

# Release everything that interrupted or crashed builds left behind (from their ledgers).
reclaim cleanup: all
	$(RUN) reclaim

# The README's first command: the seed's template built on the local emulator.
demo: all
	PATH="$(CURDIR)/$(RELEASE_BIN):$$PATH" sh scripts/demo $(TEMPLATE)

# Reclaims leftovers of crashed builds first (it needs the tools), then removes the build.
clean:
	@if [ -n "$$(sh scripts/alicloud-build ledgers 2>/dev/null)" ]; then $(MAKE) reclaim; fi
	rm -rf .build
