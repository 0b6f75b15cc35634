// What a typed application's unit includes: the typed API and the server.
#include "router/api.hpp"
#include "serve.hpp"
