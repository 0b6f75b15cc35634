// Catch2's runner (main, command line, reporters) for the microbenchmarks,
// compiled once and linked into each of them.
//
// It has its own translation unit for the measurements' sake, not only the
// build's: compiled into the same unit as a benchmark, Catch2's thousands of
// lines of std::string code change GCC's inlining there (the User encoder
// stopped inlining std::string::append and timed 42 ns instead of 28), so
// the code measured would differ from the code the tiers run.
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>
