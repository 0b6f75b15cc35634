#include "harness/counters.hpp"

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <thread>

namespace strata::bench {

const std::vector<std::string>& counted_syscalls() {
  static const std::vector<std::string> names = {
      "read",     "write",   "readv",   "writev",     "recvfrom",    "sendto",         "recvmsg",
      "sendmsg",  "epoll_wait", "epoll_pwait", "epoll_ctl", "io_uring_enter", "accept4", "futex"};
  return names;
}

std::string perf_syscall_events() {
  std::string events = "raw_syscalls:sys_enter";
  for (const auto& n : counted_syscalls()) events += ",syscalls:sys_enter_" + n;
  return events;
}

namespace {

std::string_view next_field(std::string_view& line) {
  const size_t comma = line.find(',');
  const std::string_view field = line.substr(0, comma);
  line.remove_prefix(comma == std::string_view::npos ? line.size() : comma + 1);
  return field;
}

}  // namespace

std::optional<SyscallCounts> parse_perf_stat_csv(std::string_view text, std::string& error) {
  SyscallCounts c;
  for (const auto& n : counted_syscalls()) c.by_name.emplace_back(n, 0);
  bool total_seen = false;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string_view count = next_field(line);
    next_field(line);  // unit, empty for tracepoints
    const std::string_view event = next_field(line);
    if (event.empty()) continue;  // not a counter line (perf's own remarks)
    const bool is_total = event == "raw_syscalls:sys_enter";
    constexpr std::string_view kPrefix = "syscalls:sys_enter_";
    if (!is_total && !event.starts_with(kPrefix)) continue;
    uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), value);
    if (ec != std::errc{} || ptr != count.data() + count.size()) {
      error = "perf could not count " + std::string(event) + " (" + std::string(count) + ")";
      return std::nullopt;
    }
    if (is_total) {
      c.total = value;
      total_seen = true;
      continue;
    }
    const std::string_view name = event.substr(kPrefix.size());
    for (auto& [n, v] : c.by_name)
      if (n == name) v = value;
  }
  if (!total_seen) {
    error = "perf stat printed no count for raw_syscalls:sys_enter";
    return std::nullopt;
  }
  return c;
}

std::string describe_per_request(const SyscallCounts& c, uint64_t requests) {
  if (requests == 0) return "";
  std::vector<std::pair<double, std::string>> rows;
  for (const auto& [n, v] : c.by_name) {
    const double per = static_cast<double>(v) / static_cast<double>(requests);
    if (per >= 0.005) rows.emplace_back(per, n);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  char buf[32];
  for (const auto& [per, n] : rows) {
    std::snprintf(buf, sizeof buf, "%.2f", per);
    out += (out.empty() ? "" : ", ") + n + " " + buf;
  }
  return out;
}

std::unique_ptr<SyscallCounter> SyscallCounter::start(const std::string& perf, const std::vector<pid_t>& pids,
                                                      const std::vector<int>& cpus, std::string& error) {
  if (pids.empty()) {
    error = "the server is gone";
    return nullptr;
  }
  std::string list;
  for (pid_t p : pids) list += (list.empty() ? "" : ",") + std::to_string(p);
  SpawnSpec spec;
  spec.argv = {perf, "stat", "-x,", "-e", perf_syscall_events(), "-p", list};
  spec.cpus = cpus;
  auto counter = std::unique_ptr<SyscallCounter>(new SyscallCounter);
  counter->perf_ = Child::spawn(spec, error);
  if (!counter->perf_) return nullptr;
  // perf opens one event per tracepoint and thread before it counts: a
  // counter that is still running after this has attached.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  if (!counter->perf_->running()) {
    const std::string why = last_line(counter->perf_->stderr_text());
    error = "perf stat " + counter->perf_->describe_exit() + (why.empty() ? "" : ": " + why);
    return nullptr;
  }
  return counter;
}

std::optional<SyscallCounts> SyscallCounter::stop(std::string& error) {
  perf_->send_signal(SIGINT);
  if (!perf_->wait_exit(std::chrono::seconds(10))) {
    perf_->kill_and_reap();
    error = "perf stat did not stop on SIGINT";
    return std::nullopt;
  }
  return parse_perf_stat_csv(perf_->stderr_text(), error);
}

std::optional<double> parse_profile_instructions(std::string_view out, std::string_view tier, std::string& error) {
  const std::string key = "tier " + std::string(tier) + ": ";
  for (size_t at = out.find(key); at != std::string_view::npos; at = out.find(key, at + 1)) {
    if (at > 0 && out[at - 1] != '\n') continue;
    std::string_view rest = out.substr(at + key.size());
    rest = rest.substr(0, rest.find('\n'));
    const size_t space = rest.find(' ');
    if (space == std::string_view::npos || rest.substr(space) != " instructions/request") continue;
    uint64_t n = 0;
    bool digit = false;
    for (char ch : rest.substr(0, space)) {
      if (ch == ',') continue;
      if (ch < '0' || ch > '9') {
        digit = false;
        break;
      }
      n = n * 10 + static_cast<uint64_t>(ch - '0');
      digit = true;
    }
    if (digit) return static_cast<double>(n);
  }
  error = "strata profile printed no \"" + key + "N instructions/request\" line";
  return std::nullopt;
}

}  // namespace strata::bench
