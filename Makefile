# Convenience targets; each one runs the script of the same purpose.
# The scripts are the interface: make is optional.
.PHONY: all build test test-quick demo bench bench-quick fleet-start fleet-stop fleet-status compose-up format

all: build

build:
	scripts/bootstrap

test:
	scripts/test

test-quick:
	scripts/test --quick

demo:
	scripts/demo

bench:
	scripts/bench

bench-quick:
	scripts/bench --quick

fleet-start:
	scripts/fleet start

fleet-stop:
	scripts/fleet stop

fleet-status:
	scripts/fleet status

compose-up:
	scripts/compose-up

format:
	find common broker worker tests bench \( -name "*.cpp" -o -name "*.hpp" \) -print0 | xargs -0 -r clang-format -i
