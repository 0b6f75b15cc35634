// A private PostgreSQL cluster for one test program: scripts/pg-temp.sh
// initdb's it into a fresh temporary directory with its own Unix socket,
// and the destructor stops it and removes the directory.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#ifndef STRATA_PG_TEMP
#error "STRATA_PG_TEMP (the path of scripts/pg-temp.sh) must be defined"
#endif

namespace strata::testing {

class TempPostgres {
 public:
  TempPostgres() {
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
  void stop() { run("stop"); }
  void start() { run("start"); }

 private:
  std::string run(const char* cmd) {
    const std::string line = std::string(STRATA_PG_TEMP) + " " + cmd + " " + dir_ + " 2>&1";
    std::string out;
    if (FILE* p = popen(line.c_str(), "r")) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, p)) out += buf;
      pclose(p);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  std::string dir_, url_;
};

}  // namespace strata::testing
