// Tier 4's web face as its users see it: `strata serve --tier typed` on
// --port 0, its /openapi.json checked by an OpenAPI 3.1 validator and its
// /docs page (Swagger UI) driven in headless Chromium. Both checks are the
// node scripts in web/ (see web/README.md); these tests start the server,
// run them and judge their exit code.
//   TypedWeb.OpenApiIsValid                  the served document validates
//   TypedWeb.ValidatorRejectsBrokenDocument  the same document, saved to a
//       file, validates, and broken copies of it do not: the check above
//       could fail
//   TypedWeb.FormDocumentIsValid             tests/router/form_app.cpp's
//       document, with urlencoded and multipart request bodies, validates
//   TypedWeb.DocsPageWorksInChromium         /docs lists the endpoints and a
//       "Try it out" of POST /user answers 200 with the user; screenshot in
//       the build tree (tests/web/docs.png)
//   TypedWeb.AuthorizeDialogAndRedocWorkInChromium  against secured_app.cpp:
//       Swagger UI's Authorize dialog takes an API key and a bearer token and
//       the calls it then makes carry them; /redoc renders (security.png);
//       its document, with securitySchemes, validates
//   WebSocketWeb.NodeWsClientInterop          web/ws-interop.mjs (the npm `ws`
//       client) against /ws/echo of `--tier app` and `--tier typed`: text,
//       binary, fragments, ping, a 1 MiB message, a burst of 1,000, close
//       codes, and 1007 for invalid UTF-8
//   WebSocketWeb.ChromiumEchoes               web/ws-page.mjs: Chromium's
//       WebSocket echoes a text and a binary message and closes cleanly
//   FlamegraphWeb.SvgRendersInChromium        web/flamegraph-page.mjs: a
//       fresh `strata profile --flamegraph` SVG opens as an SVG with titled,
//       drawn frames (flamegraph.png); needs valgrind too
// Each server is stopped with SIGTERM and must exit 0, so a sanitizer
// report from serving these pages fails the test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

#if !defined(SECURED_BIN) || !defined(STRATA_WEB_DIR) || !defined(STRATA_WEB_OUT) || !defined(STRATA_NODE) || \
    !defined(STRATA_CHROMIUM) || !defined(STRATA_BIN) || !defined(FORM_BIN)
#error "SECURED_BIN, FORM_BIN, STRATA_BIN, STRATA_WEB_DIR, STRATA_WEB_OUT, STRATA_NODE and STRATA_CHROMIUM must be defined (tests/web/CMakeLists.txt)"
#endif

namespace strata::test {
namespace {

namespace fs = std::filesystem;

const std::string kStrataBin = STRATA_BIN;
const std::string kSecuredBin = SECURED_BIN;
const std::string kFormBin = FORM_BIN;
const fs::path kWebDir = STRATA_WEB_DIR;
const fs::path kOutDir = STRATA_WEB_OUT;
const std::string kNode = STRATA_NODE;
const std::string kChromium = STRATA_CHROMIUM;

// Below ctest's TIMEOUT (120 s) with room for the server to start and stop;
// docs-page.mjs ends itself at 90 s and says where it was.
constexpr Millis kValidateTimeout = 30'000ms;
constexpr Millis kDocsTimeout = 110'000ms;

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

// Why the node side cannot run here, or "" when it can. install-deps.sh
// installs all of it, so an empty answer is the normal case.
std::string node_side_missing(bool needs_chromium) {
  if (!executable(kNode)) return "node was not found when configuring (scripts/install-deps.sh installs it)";
  for (const char* package : {"@seriousme/openapi-schema-validator", "playwright-core"})
    if (!fs::exists(kWebDir / "node_modules" / package / "package.json"))
      return std::string(package) + " is not in web/node_modules (run scripts/install-deps.sh)";
  if (!fs::exists(kWebDir / "node_modules" / "ws" / "package.json"))
    return "ws is not in web/node_modules (run scripts/install-deps.sh)";
  if (needs_chromium && !executable(kChromium))
    return "chromium was not found when configuring (scripts/install-deps.sh installs it)";
  return "";
}

std::unique_ptr<ServerProcess> start_typed(std::string& error) {
  return ServerProcess::start(kStrataBin, {"--tier", "typed"}, {}, &error);
}

void stop(ServerProcess& server) {
  ASSERT_TRUE(server.send_signal(SIGTERM));
  const auto status = server.wait_exit(15'000ms);
  ASSERT_TRUE(status) << "the server did not stop within 15 s of SIGTERM";
  EXPECT_TRUE(status->exited && status->code == 0) << "the server ended with " << status->describe();
}

std::string base_url(const ServerProcess& server) { return "http://127.0.0.1:" + std::to_string(server.port()); }

std::string script(std::string_view name) { return (kWebDir / name).string(); }

::testing::AssertionResult ExitedWith(const RunResult& r, int code) {
  if (r.status && r.status->exited && r.status->code == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected exit " << code << ", got "
                                       << (r.status ? r.status->describe() : std::string("no exit (timed out)"))
                                       << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  ASSERT_TRUE(f.good()) << "could not write " << path;
}

// ------------------------------------------------------------------ tests

TEST(TypedWeb, OpenApiIsValid) {
  if (auto why = node_side_missing(false); !why.empty()) GTEST_SKIP() << why;
  std::string error;
  auto server = start_typed(error);
  ASSERT_TRUE(server) << error;

  const RunResult r = run_command(kNode, {script("validate-openapi.mjs"), base_url(*server) + "/openapi.json"},
                                  kValidateTimeout);
  EXPECT_TRUE(ExitedWith(r, 0));
  EXPECT_EQ(r.out.rfind("valid: ", 0), 0u) << r.out;
  stop(*server);
}

TEST(TypedWeb, ValidatorRejectsBrokenDocument) {
  if (auto why = node_side_missing(false); !why.empty()) GTEST_SKIP() << why;
  std::string error;
  auto server = start_typed(error);
  ASSERT_TRUE(server) << error;
  std::string document;
  {
    Client c(server->port());
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.send("GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const auto response = c.read_response();
    ASSERT_TRUE(response) << c.last_error();
    ASSERT_EQ(response->status, 200) << printable(response->raw, 800);
    document = response->body;
  }
  stop(*server);

  // The copy as served must pass, so that what fails below fails because of
  // the change made to it and not because it was read from a file.
  const fs::path good = kOutDir / "openapi.json";
  write_file(good, document);
  EXPECT_TRUE(ExitedWith(run_command(kNode, {script("validate-openapi.mjs"), good.string()}, kValidateTimeout), 0));

  // Without its version the document is no OpenAPI document at all.
  const std::string_view version_key = R"("openapi")";
  const size_t at = document.find(version_key);
  ASSERT_NE(at, std::string::npos) << "no \"openapi\" key in " << printable(document, 400);
  std::string unversioned = document;
  unversioned.replace(at, version_key.size(), R"("openapi_version")");
  const fs::path no_version = kOutDir / "openapi-no-version.json";
  write_file(no_version, unversioned);
  RunResult r = run_command(kNode, {script("validate-openapi.mjs"), no_version.string()}, kValidateTimeout);
  EXPECT_TRUE(ExitedWith(r, 1));
  EXPECT_NE(r.err.find("openapi"), std::string::npos) << r.err;

  // A path that does not start with '/' is the kind of slip a route table
  // makes; the 3.1 schema allows only "/..." keys (and x- extensions) there.
  const size_t paths = document.find(R"("paths")");
  ASSERT_NE(paths, std::string::npos) << "no \"paths\" key in " << printable(document, 400);
  const size_t open = document.find('{', paths);
  ASSERT_NE(open, std::string::npos);
  std::string bad_path = document;
  bad_path.insert(open + 1, R"("user": {"get": {"responses": {"200": {"description": "OK"}}}},)");
  const fs::path bad = kOutDir / "openapi-bad-path.json";
  write_file(bad, bad_path);
  r = run_command(kNode, {script("validate-openapi.mjs"), bad.string()}, kValidateTimeout);
  EXPECT_TRUE(ExitedWith(r, 1));
  EXPECT_NE(r.err.find("/paths"), std::string::npos) << r.err;
}

TEST(TypedWeb, FormDocumentIsValid) {
  if (auto why = node_side_missing(false); !why.empty()) GTEST_SKIP() << why;
  std::string error;
  auto server = ServerProcess::start_program(kFormBin, {}, {}, &error);
  ASSERT_TRUE(server) << error;
  const RunResult r = run_command(kNode, {script("validate-openapi.mjs"), base_url(*server) + "/openapi.json"},
                                  kValidateTimeout);
  EXPECT_TRUE(ExitedWith(r, 0));
  EXPECT_EQ(r.out.rfind("valid: ", 0), 0u) << r.out;
  stop(*server);
}

// Runs a page script against `server` and checks its screenshot is a
// rendered page.
void run_page_script(ServerProcess& server, std::string_view name, const fs::path& screenshot) {
  fs::remove(screenshot);
  // The script reads the browser's path from the environment, which the
  // child inherits.
  ::setenv("CHROMIUM", kChromium.c_str(), 1);
  const RunResult r = run_command(kNode, {script(name), base_url(server), screenshot.string()}, kDocsTimeout);
  EXPECT_TRUE(ExitedWith(r, 0));

  ASSERT_TRUE(fs::exists(screenshot)) << "no screenshot at " << screenshot;
  std::ifstream f(screenshot, std::ios::binary);
  std::string magic(8, '\0');
  f.read(magic.data(), 8);
  EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8)) << screenshot << " is not a PNG";
  EXPECT_GT(fs::file_size(screenshot), 10'000u) << "a rendered page is bigger than " << fs::file_size(screenshot)
                                                << " bytes";
}

TEST(TypedWeb, DocsPageWorksInChromium) {
  if (auto why = node_side_missing(true); !why.empty()) GTEST_SKIP() << why;
  std::string error;
  auto server = start_typed(error);
  ASSERT_TRUE(server) << error;
  run_page_script(*server, "docs-page.mjs", kOutDir / "docs.png");
  stop(*server);
}

TEST(TypedWeb, AuthorizeDialogAndRedocWorkInChromium) {
  if (auto why = node_side_missing(true); !why.empty()) GTEST_SKIP() << why;
  if (!fs::exists(kWebDir / "node_modules" / "redoc" / "bundles" / "redoc.standalone.js"))
    GTEST_SKIP() << "redoc is not in web/node_modules (run scripts/install-deps.sh)";
  std::string error;
  auto server = ServerProcess::start_program(kSecuredBin, {}, {}, &error);
  ASSERT_TRUE(server) << error;
  // securitySchemes and the operations' security requirements are valid 3.1.
  const RunResult valid = run_command(
      kNode, {script("validate-openapi.mjs"), base_url(*server) + "/openapi.json"}, kValidateTimeout);
  EXPECT_TRUE(ExitedWith(valid, 0));
  run_page_script(*server, "security-page.mjs", kOutDir / "security.png");
  stop(*server);
}

TEST(WebSocketWeb, NodeWsClientInterop) {
  if (auto why = node_side_missing(false); !why.empty()) GTEST_SKIP() << why;
  for (const char* tier : {"app", "typed"}) {
    SCOPED_TRACE(tier);
    std::string error;
    auto server = ServerProcess::start(kStrataBin, {"--tier", tier}, {}, &error);
    ASSERT_TRUE(server) << error;
    const std::string url = "ws://127.0.0.1:" + std::to_string(server->port()) + "/ws/echo";
    const RunResult r = run_command(kNode, {script("ws-interop.mjs"), url}, kValidateTimeout);
    EXPECT_TRUE(ExitedWith(r, 0));
    EXPECT_NE(r.out.find("1000 messages in a burst echoed in order"), std::string::npos) << r.out;
    stop(*server);
  }
}

TEST(WebSocketWeb, ChromiumEchoes) {
  if (auto why = node_side_missing(true); !why.empty()) GTEST_SKIP() << why;
  std::string error;
  auto server = ServerProcess::start(kStrataBin, {"--tier", "app"}, {}, &error);
  ASSERT_TRUE(server) << error;
  // The page is the server's plain-text root: its screenshot is small, so
  // run_page_script's check of a rendered page's size does not apply.
  const RunResult r = run_command(kNode, {script("ws-page.mjs"), base_url(*server), (kOutDir / "ws.png").string()},
                                  kDocsTimeout);
  EXPECT_TRUE(ExitedWith(r, 0));
  EXPECT_NE(r.out.find("\"code\":1000,\"clean\":true"), std::string::npos) << r.out;
  stop(*server);
}

TEST(FlamegraphWeb, SvgRendersInChromium) {
  if (auto why = node_side_missing(true); !why.empty()) GTEST_SKIP() << why;
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "valgrind cannot run a sanitized binary";
#endif
  if (!executable("/usr/bin/valgrind"))
    GTEST_SKIP() << "valgrind is not installed (scripts/install-deps.sh installs it)";
  // No server here, so the transport the other tests repeat on does not matter.
  if (std::getenv("STRATA_TEST_IO")) GTEST_SKIP() << "starts no server";
  const fs::path dir = kOutDir / "flamegraphs";
  const RunResult made = run_command(
      kStrataBin, {"profile", "--tier", "raw", "--flamegraph", dir.string(), "--instruction-requests", "20"}, 60'000ms);
  ASSERT_TRUE(ExitedWith(made, 0));
  ::setenv("CHROMIUM", kChromium.c_str(), 1);
  const fs::path screenshot = kOutDir / "flamegraph.png";
  fs::remove(screenshot);
  const std::string url = "file://" + (dir / "raw.svg").string();
  const RunResult r = run_command(kNode, {script("flamegraph-page.mjs"), url, screenshot.string()}, kDocsTimeout);
  EXPECT_TRUE(ExitedWith(r, 0));
  EXPECT_TRUE(fs::exists(screenshot)) << "no screenshot at " << screenshot;
}

}  // namespace
}  // namespace strata::test
