#include "common/workload_dom.hpp"

namespace strata::workload {

bool DomUserEndpoint::decode(std::string_view body, OwnedUser& user, std::string& reason) {
  auto fail = [&](std::string_view why, simdjson::error_code e = simdjson::SUCCESS) {
    reason.append(why);
    if (e != simdjson::SUCCESS) reason.append(": ").append(simdjson::error_message(e));
    return false;
  };
  // parse() copies the body into the parser's own padded buffer, as the
  // on-demand endpoint copies it into its scratch.
  simdjson::dom::element doc;
  if (auto e = parser_.parse(body.data(), body.size()).get(doc)) return fail("invalid JSON", e);
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return fail("body must be a JSON object");
  bool have_id = false, have_name = false, have_email = false;
  // Walks the fields in order, as the on-demand endpoint does, so a bad
  // field is reported first in the same place.
  for (auto [key, value] : obj) {
    std::string_view s;
    if (key == "id") {
      if (value.get_int64().get(user.id)) return fail("field 'id' must be an integer");
      have_id = true;
    } else if (key == "name") {
      if (value.get_string().get(s)) return fail("field 'name' must be a string");
      user.name.assign(s);
      have_name = true;
    } else if (key == "email") {
      if (value.get_string().get(s)) return fail("field 'email' must be a string");
      user.email.assign(s);
      have_email = true;
    }
  }
  if (!have_id) return fail("missing field 'id'");
  if (!have_name) return fail("missing field 'name'");
  if (!have_email) return fail("missing field 'email'");
  return true;
}

Status DomUserEndpoint::operator()(std::string_view body, std::string& out) {
  OwnedUser received;
  if (!decode(body, received, out)) return Status::bad_request;
  const OwnedUser reply = received;  // the seed builds a fresh User from the decoded one
  encode(User{reply.id, reply.name, reply.email}, out);
  return Status::ok;
}

}  // namespace strata::workload
