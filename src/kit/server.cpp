#include "kit/server.hpp"

#include <charconv>
#include <cstring>

namespace strata::kit {

std::optional<Banner> parse_banner(std::string_view line) {
  constexpr std::string_view prefix = "listening on http://";
  if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
  line.remove_prefix(prefix.size());
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  Banner out;
  size_t host_end;
  if (!line.empty() && line.front() == '[') {
    host_end = line.find(']');
    if (host_end == std::string_view::npos || host_end == 1) return std::nullopt;
    out.host = std::string(line.substr(1, host_end - 1));
    ++host_end;
  } else {
    host_end = line.find(':');
    if (host_end == std::string_view::npos || host_end == 0) return std::nullopt;
    out.host = std::string(line.substr(0, host_end));
  }
  if (host_end >= line.size() || line[host_end] != ':') return std::nullopt;
  line.remove_prefix(host_end + 1);
  const size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  const std::string_view port = line.substr(0, sp);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (port.empty() || ec != std::errc{} || p != port.data() + port.size() || v == 0 || v > 65535) return std::nullopt;
  out.port = static_cast<uint16_t>(v);
  const std::string_view rest = line.substr(sp + 1);
  if (rest.substr(0, 5) != "tier=" || rest.size() == 5) return std::nullopt;
  out.tier = std::string(rest.substr(5));
  return out;
}

std::string format_banner(const Banner& b) {
  const bool v6 = b.host.find(':') != std::string::npos;
  return "listening on http://" + (v6 ? "[" + b.host + "]" : b.host) + ":" + std::to_string(b.port) +
         " tier=" + b.tier;
}

StartResult start_server(const SpawnSpec& spec, Millis timeout, const GiveUp& give_up) {
  StartResult r;
  if (spec.out == Output::inherit) {
    r.error = "its stdout must be captured to read the banner";
    return r;
  }
  r.child = Child::spawn(spec, r.error);
  if (!r.child) return r;
  const auto line = r.child->read_stdout_line(timeout, give_up);
  if (line) {
    if (auto b = parse_banner(*line)) {
      r.banner = *b;
      r.banner_line = *line;
      return r;
    }
    r.error = "printed '" + last_line(*line) + "' instead of 'listening on http://HOST:PORT tier=T'";
  } else if (!r.child->running()) {
    r.exited_early = true;
    const ExitStatus& st = *r.child->status();
    r.exit_code = st.exited ? st.code : -1;
    const std::string why = last_line(r.child->stderr_text());
    r.error = "exited (" + st.describe() + ") before listening" + (why.empty() ? "" : ": " + why);
  } else if (give_up && give_up()) {
    r.error = "interrupted";
  } else {
    r.error = "printed no 'listening on' line within " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s";
    const std::string why = last_line(r.child->stderr_text());
    if (!why.empty()) r.error += " (stderr: " + why + ")";
  }
  r.child->kill_and_reap();
  r.child.reset();
  return r;
}

std::string stop_server(Child& child, Millis deadline, int sig) {
  if (!child.running()) return "had already ended (" + child.describe_exit() + ")";
  child.send_signal(sig);
  // No give_up here: a server always gets its deadline to stop cleanly.
  if (!child.wait_exit(deadline)) {
    child.kill_and_reap();
    return "did not exit within " + std::to_string(deadline.count() / 1000) + " s of SIG" + sigabbrev_np(sig) +
           "; killed";
  }
  if (child.status()->exited && child.status()->code == 0) return {};
  return "stopped with " + child.describe_exit() + " after SIG" + sigabbrev_np(sig);
}

}  // namespace strata::kit
