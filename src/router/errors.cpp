#include "router/errors.hpp"

#include "common/json.hpp"

namespace strata::router {

void Errors::append(std::string& out, const Error& e) {
  out.append("{\"type\":");
  json::append_string(out, e.type);
  out.append(",\"loc\":[");
  for (size_t i = 0; i < e.loc.size(); ++i) {
    if (i) out.push_back(',');
    if (const auto* key = std::get_if<std::string>(&e.loc[i])) json::append_string(out, *key);
    else json::append_int(out, static_cast<int64_t>(std::get<size_t>(e.loc[i])));
  }
  out.append("],\"msg\":");
  json::append_string(out, e.msg);
  out.append(",\"input\":");
  out.append(e.input.empty() ? std::string_view("null") : std::string_view(e.input));
  if (!e.ctx.empty()) out.append(",\"ctx\":").append(e.ctx);
  out.push_back('}');
}

void Errors::to_json(std::string& out) const {
  out.append("{\"detail\":[");
  for (size_t i = 0; i < items_.size(); ++i) {
    if (i) out.push_back(',');
    append(out, items_[i]);
  }
  out.append("]}");
}

}  // namespace strata::router
