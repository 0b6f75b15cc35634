#include "harness/procstat.hpp"

#include <dirent.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>
#include <utility>
#include <vector>

namespace strata::bench {

std::optional<CpuTicks> parse_proc_stat(std::string_view text) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  // After ") " come fields 3 (state), 4, ...: field N is token N - 3.
  std::string_view rest = text.substr(close + 1);
  uint64_t values[2] = {0, 0};
  int field = 2;
  size_t i = 0;
  while (i < rest.size() && field < 15) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n')) ++i;
    size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
    if (j == i) break;
    ++field;
    if (field == 14 || field == 15) {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(rest.data() + i, rest.data() + j, v);
      if (ec != std::errc{} || p != rest.data() + j) return std::nullopt;
      values[field - 14] = v;
    }
    i = j;
  }
  if (field < 15) return std::nullopt;
  return CpuTicks{values[0], values[1]};
}

std::optional<CpuTicks> read_cpu_ticks(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  return parse_proc_stat(std::string_view(buf, static_cast<size_t>(n)));
}

std::vector<pid_t> process_tree(pid_t root) {
  if (::kill(root, 0) != 0 && errno == ESRCH) return {};
  // Parent of every process, from one pass over /proc.
  std::vector<std::pair<pid_t, pid_t>> parent;  // (pid, ppid)
  if (DIR* proc = opendir("/proc")) {
    while (dirent* e = readdir(proc)) {
      pid_t pid = 0;
      const std::string_view name = e->d_name;
      if (std::from_chars(name.data(), name.data() + name.size(), pid).ec != std::errc{} || pid <= 0) continue;
      const std::string path = "/proc/" + std::string(name) + "/stat";
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      ::close(fd);
      if (n <= 0) continue;
      const std::string_view text(buf, static_cast<size_t>(n));
      const size_t close = text.rfind(')');
      if (close == std::string_view::npos || close + 4 >= text.size()) continue;
      pid_t ppid = 0;
      const std::string_view rest = text.substr(close + 4);  // ") S " then ppid
      std::from_chars(rest.data(), rest.data() + rest.size(), ppid);
      parent.emplace_back(pid, ppid);
    }
    closedir(proc);
  }
  std::vector<pid_t> tree = {root};
  for (size_t i = 0; i < tree.size(); ++i)
    for (const auto& [pid, ppid] : parent)
      if (ppid == tree[i]) tree.push_back(pid);
  return tree;
}

std::optional<CpuTicks> read_tree_cpu_ticks(pid_t root) {
  auto total = read_cpu_ticks(root);
  if (!total) return std::nullopt;
  const std::vector<pid_t> tree = process_tree(root);
  for (size_t i = 1; i < tree.size(); ++i)
    if (auto t = read_cpu_ticks(tree[i])) {
      total->utime += t->utime;
      total->stime += t->stime;
    }
  return total;
}

long clock_ticks_per_second() {
  static const long hz = [] {
    long v = sysconf(_SC_CLK_TCK);
    return v > 0 ? v : 100;
  }();
  return hz;
}

}  // namespace strata::bench
