# The two set-up commands of the README:
#   make demo   install what is missing, build, and run the thermal-block study on 2 MPI ranks
#   make test   install what is missing, build, and run the whole test suite with ctest
BUILD ?= build
JOBS ?= 2
NP ?= 2
MPIEXEC_FLAGS := $(shell mpiexec --version 2>/dev/null | grep -qE 'Open MPI|OpenRTE' && echo --oversubscribe $$( [ "$$(id -u)" = 0 ] && echo --allow-run-as-root))

.PHONY: deps configure build test demo install clean

deps:
	@scripts/install-deps.sh

configure: deps
	@[ -f $(BUILD)/build.ninja ] || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	cd examples/thermal_block && mpiexec -n $(NP) $(MPIEXEC_FLAGS) ../../$(BUILD)/apps/kolmo/kolmo demo thermal_block.yaml

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD)
