// A unit that does include simdjson: check_headers.sh must name it.
#include "router/api.hpp"
#include <simdjson.h>
