#include "loop/raw.hpp"

#include <charconv>

#include "common/json.hpp"
#include "common/text.hpp"

namespace strata::loop::raw {

namespace {

bool iequals_prefix(std::string_view line, std::string_view name) {
  return line.size() >= name.size() && text::iequals(line.substr(0, name.size()), name);
}

Frame invalid_frame() {
  Frame f;
  f.kind = Frame::invalid;
  return f;
}

}  // namespace

Frame frame_request(std::string_view bytes) {
  Frame f;
  const size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) return f;
  const std::string_view head = bytes.substr(0, end + 2);  // keeps each line's CRLF

  const size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1) return invalid_frame();
  f.method = line.substr(0, sp1);
  f.target = line.substr(sp1 + 1, sp2 - sp1 - 1);

  size_t body_len = 0;
  for (size_t pos = line_end + 2; pos < head.size();) {
    const size_t eol = head.find("\r\n", pos);
    std::string_view h = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (!iequals_prefix(h, "content-length:")) continue;
    h.remove_prefix(15);
    while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
    while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
    auto [p, ec] = std::from_chars(h.data(), h.data() + h.size(), body_len);
    if (ec != std::errc{} || p != h.data() + h.size() || h.empty()) return invalid_frame();
  }
  const size_t head_size = end + 4;
  if (body_len > bytes.size() - head_size) {
    // A body that could never fit the read buffer cannot be framed.
    if (body_len > read_capacity) return invalid_frame();
    return f;  // incomplete: wait for the rest of the body
  }
  f.kind = Frame::complete;
  f.body = bytes.substr(head_size, body_len);
  f.size = head_size + body_len;
  return f;
}

void respond(const Frame& f, workload::UserEndpoint& user, std::string& scratch, std::string& out) {
  probe::Span app_span(probe::Phase::app);
  scratch.clear();
  std::string_view status = "200 OK";
  std::string_view type = workload::text_type;
  if (f.method == "GET" && f.body.empty()) {
    std::string_view path = f.target, query;
    if (size_t q = path.find('?'); q != std::string_view::npos) {
      query = path.substr(q + 1);
      path = path.substr(0, q);
    }
    if (path == "/index") workload::hello_index(query, scratch);
    else workload::hello_root(scratch);
  } else if (user(f.body, scratch) == workload::Status::ok) {
    type = workload::json_type;
  } else {
    status = "400 Bad Request";
  }
  app_span.end();
  probe::Span send_span(probe::Phase::send);
  out.append("HTTP/1.1 ").append(status).append("\r\nContent-Length: ");
  json::append_int(out, static_cast<int64_t>(scratch.size()));
  out.append("\r\nContent-Type: ").append(type).append("\r\nConnection: keep-alive\r\n");
  if (probe::server_timing()) {
    if (const probe::Record* r = probe::current()) {
      out.append("Server-Timing: ");
      probe::append_server_timing(out, r->elapsed_ns(), r->seen);
      out.append("\r\n");
    }
  }
  out.append("\r\n").append(scratch);
}

void Protocol::on_data() {
  read_since_tick_ = true;
  size_t used = 0;
  for (;;) {
    Frame f;
    {
      probe::Bind bind(probe_);
      {
        probe::Span span(probe::Phase::parse);
        f = frame_request(s_.in.view().substr(used));
      }
      if (f.kind == Frame::complete) respond(f, ctx_.user, ctx_.scratch, s_.out());
    }
    if (f.kind == Frame::complete) {
      if (probe::enabled()) {
        probe::commit(probe_);
        probe_.reset();
      }
      used += f.size;
      continue;
    }
    s_.in.consume(used);
    if (f.kind == Frame::invalid || s_.in.free_space() == 0) {
      // Cannot frame it: answer what came before, then hang up.
      return s_.finish();
    }
    break;
  }
  // Every reply produced from this read goes out in one write.
  s_.flush();
}

}  // namespace strata::loop::raw
