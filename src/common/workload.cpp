#include "common/workload.hpp"

#include <cstring>

#include "common/json.hpp"
#include "common/url.hpp"

namespace strata::workload {

namespace od = simdjson::ondemand;

bool UserEndpoint::decode(std::string_view body, User& user, std::string& reason) {
  // simdjson reads in 64-byte blocks and needs SIMDJSON_PADDING readable bytes
  // past the end; the request body sits in the middle of a connection's read
  // buffer, so it is copied (a few dozen bytes) into padded scratch.
  const size_t need = body.size() + simdjson::SIMDJSON_PADDING;
  if (need > scratch_cap_) {
    scratch_cap_ = std::max<size_t>(need, 1024);
    scratch_ = std::make_unique<char[]>(scratch_cap_);
  }
  std::memcpy(scratch_.get(), body.data(), body.size());
  std::memset(scratch_.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);

  auto fail = [&](std::string_view why, simdjson::error_code e = simdjson::SUCCESS) {
    reason.append(why);
    if (e != simdjson::SUCCESS) {
      reason.append(": ");
      reason.append(simdjson::error_message(e));
    }
    return false;
  };

  od::document doc;
  if (auto e = parser_.iterate(scratch_.get(), body.size(), scratch_cap_).get(doc)) return fail("invalid JSON", e);
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    return e == simdjson::INCORRECT_TYPE ? fail("body must be a JSON object") : fail("invalid JSON", e);
  }
  bool have_id = false, have_name = false, have_email = false;
  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) return fail("invalid JSON", e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return fail("invalid JSON", e);
    if (key == "id") {
      if (field.value().get_int64().get(user.id)) return fail("field 'id' must be an integer");
      have_id = true;
    } else if (key == "name") {
      if (field.value().get_string().get(user.name)) return fail("field 'name' must be a string");
      have_name = true;
    } else if (key == "email") {
      if (field.value().get_string().get(user.email)) return fail("field 'email' must be a string");
      have_email = true;
    }
    // Unknown fields are ignored, as msgspec does; on-demand skips them.
  }
  // After the object, the document must be exhausted: current_location()
  // answers OUT_OF_BOUNDS exactly when nothing follows.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return fail("invalid JSON: trailing content after the object");
  if (!have_id) return fail("missing field 'id'");
  if (!have_name) return fail("missing field 'name'");
  if (!have_email) return fail("missing field 'email'");
  return true;
}

void encode(const User& user, std::string& out) {
  out.append("{\"id\":");
  json::append_int(out, user.id);
  out.append(",\"name\":");
  json::append_string(out, user.name);
  out.append(",\"email\":");
  json::append_string(out, user.email);
  out.push_back('}');
}

Status UserEndpoint::operator()(std::string_view body, std::string& out) {
  User received;
  if (!decode(body, received, out)) return Status::bad_request;
  // The seed builds a fresh User from the decoded one before encoding it.
  const User reply{received.id, received.name, received.email};
  encode(reply, out);
  return Status::ok;
}

void hello_root(std::string& out) { out.append("Hello ASGI World!"); }

void hello_index(std::string_view query, std::string& out) {
  bool found = false;
  std::string_view name = url::query_value(query, "name", &found);
  if (!found || name.empty()) return hello_root(out);
  out.append("Hello ");
  url::percent_decode(name, out, /*plus_as_space=*/true);
}

}  // namespace strata::workload
