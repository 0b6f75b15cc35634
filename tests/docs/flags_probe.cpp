// Never compiled: the target it belongs to exists so that CMake can tell
// check_snippets.sh the include paths, definitions and options a program
// using strata gets (tests/CMakeLists.txt).
