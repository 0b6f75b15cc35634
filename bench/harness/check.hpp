// The answer check every server passes before (and after) it is loaded: a
// blocking HTTP/1.1 client (the kit's) that sends a route's request and compares
// each response with the route's expected body, byte for byte (by meaning
// for a route marked json_equivalent). A server
// that fails it never posts a number.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/process.hpp"
#include "harness/scenario.hpp"

namespace strata::bench {

// The request as wrk sends it: request line, Host, Content-Type and
// Content-Length when there is a body, then the body.
std::string request_bytes(const Route& route, std::string_view host_port);

// Whether two JSON texts mean the same: objects as key sets, arrays in
// order, numbers by value. False when either is not JSON.
bool json_equivalent(std::string_view a, std::string_view b);

// Connects to 127.0.0.1:`port`, sends `pipeline_depth` copies of the
// route's request back to back, reads as many responses, and does it twice
// on the same keep-alive connection. Returns "" when every response was a
// 200 with exactly the expected body, else one line saying what came back.
std::string check_answer(uint16_t port, const Route& route, int pipeline_depth, Millis timeout);

}  // namespace strata::bench
