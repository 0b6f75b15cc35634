#include "harness/check.hpp"

#include <simdjson.h>

#include <memory>
#include <string>

#include "kit/http.hpp"

namespace strata::bench {

namespace {

// Printable and short, for an error line.
std::string excerpt(std::string_view s) { return kit::printable(s, 80); }

bool same(simdjson::dom::element a, simdjson::dom::element b) {
  using T = simdjson::dom::element_type;
  const T ta = a.type(), tb = b.type();
  const auto numeric = [](T t) { return t == T::INT64 || t == T::UINT64 || t == T::DOUBLE; };
  if (numeric(ta) && numeric(tb)) return double(a) == double(b);
  if (ta != tb) return false;
  switch (ta) {
    case T::ARRAY: {
      auto x = a.get_array().value(), y = b.get_array().value();
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
        if (!same(*i, *j)) return false;
      return true;
    }
    case T::OBJECT: {
      auto x = a.get_object().value(), y = b.get_object().value();
      if (x.size() != y.size()) return false;
      for (auto field : x) {
        auto other = y.at_key(field.key);
        if (other.error() || !same(field.value, other.value())) return false;
      }
      return true;
    }
    case T::STRING: return std::string_view(a) == std::string_view(b);
    case T::BOOL: return bool(a) == bool(b);
    default: return true;  // null
  }
}

}  // namespace

bool json_equivalent(std::string_view a, std::string_view b) {
  simdjson::dom::parser pa, pb;
  auto x = pa.parse(simdjson::padded_string(a));
  auto y = pb.parse(simdjson::padded_string(b));
  if (x.error() || y.error()) return false;
  return same(x.value(), y.value());
}

std::string request_bytes(const Route& route, std::string_view host_port) {
  std::string r = route.method + " " + route.target + " HTTP/1.1\r\nHost: ";
  r.append(host_port);
  r += "\r\n";
  if (!route.content_type.empty()) r += "Content-Type: " + route.content_type + "\r\n";
  if (!route.body.empty() || route.method == "POST")
    r += "Content-Length: " + std::to_string(route.body.size()) + "\r\n";
  r += "\r\n";
  r += route.body;
  return r;
}

std::string check_answer(uint16_t port, const Route& route, int pipeline_depth, Millis timeout) {
  auto client = std::make_unique<kit::Client>(port, timeout);
  if (!client->ok()) return "cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + client->error();

  const std::string one = request_bytes(route, "127.0.0.1:" + std::to_string(port));
  std::string batch;
  for (int i = 0; i < pipeline_depth; ++i) batch += one;
  const std::string what = route.method + " " + route.target;
  // Pipelined answers must each say where they end.
  kit::ParseOptions framing;
  framing.require_length = true;

  bool closes = false;  // the server said Connection: close (gunicorn's sync workers do, by design)
  for (int round = 0; round < 2; ++round) {
    if (closes) {
      // A server that announces the close gets a new connection, as wrk
      // gives it; one that closes without saying so fails below.
      client = std::make_unique<kit::Client>(port, timeout);
      if (!client->ok()) return "cannot reconnect to 127.0.0.1:" + std::to_string(port) + ": " + client->error();
      closes = false;
    }
    if (!client->send(batch, timeout)) return what + ": " + client->last_error();
    for (int answered = 0; answered < pipeline_depth; ++answered) {
      const auto r = client->read_response(framing, timeout);
      if (!r) {
        if (client->peer() != kit::Client::Peer::open && client->buffered().empty())
          return what + ": connection closed after " + std::to_string(answered) + " of " +
                 std::to_string(pipeline_depth) + " answers" + (round ? " (no keep-alive?)" : "");
        return what + ": " + client->last_error();
      }
      const bool right = route.json_equivalent ? json_equivalent(r->body, route.expected_body)
                                               : r->body == route.expected_body;
      closes |= r->header_has_token("connection", "close");
      if (r->status != 200 || !right)
        return what + " answered " + std::to_string(r->status) + " '" + excerpt(r->body) + "', expected 200 '" +
               excerpt(route.expected_body) + "'";
    }
    if (!closes) client->read_available();
    if (!client->buffered().empty())
      return what + ": " + std::to_string(client->buffered().size()) + " unexpected bytes after the answers";
  }
  return {};
}

}  // namespace strata::bench
