// A private PostgreSQL cluster for one test program: scripts/pg-temp.sh
// initdb's it (or copies STRATA_PG_TEMPLATE's, when CTest made one) into a
// fresh temporary directory with its own Unix socket, and the destructor
// stops it and removes the directory.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#ifndef STRATA_PG_TEMP
#error "STRATA_PG_TEMP (the path of scripts/pg-temp.sh) must be defined"
#endif

namespace strata::testing {

class TempPostgres {
 public:
  // `options`: extra server options ("-c log_statement=all").
  explicit TempPostgres(std::string options = {}) : options_(std::move(options)) {
    char tmpl[] = "/tmp/strata-pg-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    url_ = run("start");
    if (url_.rfind("postgresql://", 0) != 0) throw std::runtime_error("pg-temp.sh start failed: " + url_);
  }
  ~TempPostgres() { run("destroy"); }
  TempPostgres(const TempPostgres&) = delete;
  TempPostgres& operator=(const TempPostgres&) = delete;

  const std::string& url() const { return url_; }
  const std::string& dir() const { return dir_; }
  // The server's log from byte `from` on. One sized read: tests built at
  // -O0 read it a dozen times while it holds the whole load's statements,
  // and an istreambuf_iterator made that most of their run.
  std::string log(size_t from = 0) const {
    std::ifstream f(dir_ + "/server.log", std::ios::binary | std::ios::ate);
    const auto size = f ? static_cast<size_t>(f.tellg()) : 0;
    if (from >= size) return {};
    std::string s(size - from, '\0');
    f.seekg(static_cast<std::streamoff>(from));
    f.read(s.data(), static_cast<std::streamsize>(s.size()));
    s.resize(static_cast<size_t>(f.gcount()));
    return s;
  }
  size_t log_size() const {
    struct stat st {};
    return ::stat((dir_ + "/server.log").c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
  }
  void stop() { run("stop"); }
  void start() { run("start"); }
  // Freezes (SIGSTOP) or thaws (SIGCONT) the backends serving clients, so
  // a query stays in flight as long as a test needs. Returns how many.
  int freeze_backends(bool freeze) {
    std::ifstream pidfile(dir_ + "/data/postmaster.pid");
    long postmaster = 0;
    pidfile >> postmaster;
    int n = 0;
    if (postmaster <= 0) return 0;
    const std::unique_ptr<DIR, int (*)(DIR*)> proc(opendir("/proc"), closedir);
    if (!proc) return 0;
    while (dirent* e = readdir(proc.get())) {
      const long pid = std::atol(e->d_name);
      if (pid <= 0) continue;
      const std::string s = proc_file(pid, "stat");
      const size_t close = s.rfind(')');
      if (close == std::string::npos) continue;
      char state;
      long ppid = 0;
      if (std::sscanf(s.c_str() + close + 2, "%c %ld", &state, &ppid) != 2 || ppid != postmaster) continue;
      if (proc_file(pid, "cmdline").rfind("postgres: strata ", 0) != 0) continue;  // not a client backend
      if (kill(static_cast<pid_t>(pid), freeze ? SIGSTOP : SIGCONT) == 0) ++n;
    }
    return n;
  }

 private:
  // /proc/PID/NAME, or "" when it cannot be read. Plain read(2): a process
  // may end between readdir and the read, which fails with ESRCH, and an
  // ifstream reports that by throwing from its buffer.
  static std::string proc_file(long pid, const char* name) {
    const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    char buf[4096];
    const ssize_t got = ::read(fd, buf, sizeof buf);
    ::close(fd);
    return got > 0 ? std::string(buf, static_cast<size_t>(got)) : std::string();
  }
  std::string run(const char* cmd) {
    std::string line = "PG_TEMP_OPTIONS='" + options_ + "' ";
#ifdef STRATA_PG_TEMPLATE
    // CTest's fixture (tests/db/CMakeLists.txt) made it; absent when a test
    // program runs alone, and then the script runs initdb.
    line += "PG_TEMP_TEMPLATE='" STRATA_PG_TEMPLATE "' ";
#endif
    line += std::string(STRATA_PG_TEMP) + " " + cmd + " " + dir_ + " 2>&1";
    std::string out;
    if (FILE* p = popen(line.c_str(), "r")) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, p)) out += buf;
      pclose(p);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  std::string options_, dir_, url_;
};

}  // namespace strata::testing
