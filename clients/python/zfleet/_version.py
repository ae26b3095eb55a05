"""The package version: the zfleet project version (CMake project() in the
top-level CMakeLists.txt); tests/packaging checks that the two agree."""

__version__ = "0.1.0"
