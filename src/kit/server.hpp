// A server under test, as every tool sees it from outside: spawned, its
// one-line banner read, and stopped by a signal.
//
// Contract: a server prints, as its first stdout line,
//   listening on http://HOST:PORT tier=TIER
// with an IPv6 HOST in brackets ("[::1]"). start_server() returns once it
// has that line, or says in one line why not: the child printed something
// else first, ended first (with its last stderr line), or printed nothing
// within the timeout. A server that did not start is killed and reaped
// before start_server() returns.
#pragma once

#include <signal.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kit/process.hpp"

namespace strata::kit {

struct Banner {
  std::string host;  // without brackets
  uint16_t port = 0;
  std::string tier;
};
// The banner in `line` (a trailing CR, LF or space is ignored); nullopt
// when the line is anything else, port 0 included.
std::optional<Banner> parse_banner(std::string_view line);
// The line a server prints for `banner` (brackets around an IPv6 host).
std::string format_banner(const Banner& banner);

struct StartResult {
  std::unique_ptr<Child> child;  // set when started
  Banner banner;
  std::string banner_line;       // the line as printed
  bool exited_early = false;     // the child ended before printing the banner
  int exit_code = -1;            // its exit status then, when it exited (2: the CLI refused the arguments)
  std::string error;             // one line, when not started
};
// Spawns `spec` (stdout must be captured) and waits up to `timeout` for its
// banner; `give_up` abandons the wait (error "interrupted").
StartResult start_server(const SpawnSpec& spec, Millis timeout, const GiveUp& give_up = {});

// Sends `sig`, waits up to `deadline`, then SIGKILLs the group. Returns ""
// when the server exited 0 within the deadline, else a short note ("did not
// exit within 5 s of SIGINT; killed", "stopped with exit 1 after SIGINT").
std::string stop_server(Child& child, Millis deadline, int sig = SIGINT);

}  // namespace strata::kit
