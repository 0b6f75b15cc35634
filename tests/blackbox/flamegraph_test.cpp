// `strata profile --flamegraph DIR`: one SVG per tier that is well-formed
// XML, whose frames nest as a flame graph's must (children no wider than
// their parent), whose root is the instructions per request that
// `--instructions` prints for the same tier, and whose frames carry the
// tier's phases. A DIR that cannot be a directory is an error.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "blackbox.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

bool can_run_valgrind() {
#if defined(__SANITIZE_ADDRESS__)
  return false;  // valgrind cannot run a sanitized binary
#else
  return ::access("/usr/bin/valgrind", X_OK) == 0;
#endif
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/strata-flamegraph-test-XXXXXX";
    path = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first "tier T: N instructions/request" line's N, commas dropped.
double instructions_line(const std::string& out, const std::string& tier) {
  const std::string key = "tier " + tier + ": ";
  const size_t at = out.find(key);
  if (at == std::string::npos) return -1;
  std::string digits;
  for (size_t i = at + key.size(); i < out.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(out[i])))
      digits.push_back(out[i]);
    else if (out[i] != ',')
      break;
  }
  return digits.empty() ? -1 : std::stod(digits);
}

// A frame is a <g data-ir="..." data-phase="..."> whose nested <g>s are
// its children.
struct Frame {
  double ir = 0;
  std::string phase;
  std::vector<Frame> children;
};

std::string attribute(const std::string& tag, const std::string& name) {
  const size_t at = tag.find(" " + name + "=\"");
  if (at == std::string::npos) return "";
  const size_t from = at + name.size() + 3;
  return tag.substr(from, tag.find('"', from) - from);
}

// Checks what a well-formed document needs that a flame graph could get
// wrong (every tag closed in order, '<' and '&' escaped in text) and
// returns the root frame; the failure says where it went wrong.
::testing::AssertionResult read_frames(const std::string& svg, Frame& root) {
  std::vector<std::string> open;
  std::vector<Frame> frames;  // the open <g>s
  bool have_root = false;
  size_t i = 0;
  while (i < svg.size()) {
    if (svg[i] == '&') {
      static const char* const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"};
      bool ok = false;
      for (const char* e : entities) ok = ok || svg.compare(i, std::strlen(e), e) == 0;
      if (!ok) return ::testing::AssertionFailure() << "a bare '&' at byte " << i;
      ++i;
      continue;
    }
    if (svg[i] != '<') {
      ++i;
      continue;
    }
    const size_t end = svg.find('>', i);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "an unclosed '<' at byte " << i;
    const std::string tag = svg.substr(i, end + 1 - i);
    i = end + 1;
    if (tag.starts_with("<?") || tag.starts_with("<!")) continue;
    if (tag.find('<', 1) != std::string::npos) return ::testing::AssertionFailure() << "a '<' inside " << tag;
    if (tag.starts_with("</")) {
      const std::string name = tag.substr(2, tag.size() - 3);
      if (open.empty() || open.back() != name)
        return ::testing::AssertionFailure() << tag << " closes " << (open.empty() ? "nothing" : "<" + open.back());
      open.pop_back();
      if (name == "g") {
        Frame done = std::move(frames.back());
        frames.pop_back();
        if (frames.empty()) {
          root = std::move(done);
          have_root = true;
        } else {
          frames.back().children.push_back(std::move(done));
        }
      }
      continue;
    }
    const std::string name = tag.substr(1, tag.find_first_of(" />", 1) - 1);
    if (tag.ends_with("/>")) continue;
    open.push_back(name);
    if (name == "g") frames.push_back({std::stod(attribute(tag, "data-ir")), attribute(tag, "data-phase"), {}});
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> is never closed";
  if (!have_root) return ::testing::AssertionFailure() << "no frame";
  return ::testing::AssertionSuccess();
}

// Children's widths add up to at most their parent's (the rest is its own
// instructions), to the rounding of the printed values.
::testing::AssertionResult nests(const Frame& f) {
  double sum = 0;
  for (const Frame& c : f.children) {
    sum += c.ir;
    if (auto r = nests(c); !r) return r;
  }
  if (sum > f.ir + 0.001 * static_cast<double>(f.children.size() + 1))
    return ::testing::AssertionFailure() << "children of a " << f.ir << " frame add up to " << sum;
  return ::testing::AssertionSuccess();
}

void phases_of(const Frame& f, std::set<std::string>& out) {
  out.insert(f.phase);
  for (const Frame& c : f.children) phases_of(c, out);
}

size_t count_frames(const Frame& f) {
  size_t n = 1;
  for (const Frame& c : f.children) n += count_frames(c);
  return n;
}

// Runs --flamegraph for `tier` and checks the SVG; returns its root frame.
Frame flamegraph(const std::string& tier) {
  TempDir dir;
  const std::string out = dir.path + "/graphs";
  RunResult r = run_command(kStrataBin,
                            {"profile", "--tier", tier, "--flamegraph", out, "--instruction-requests", "50"}, 55000ms);
  EXPECT_TRUE(r.ok()) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out + "/raw.svg") && tier != "raw") << "only the tier asked for";
  const std::string file = out + "/" + tier + ".svg";
  const std::string svg = slurp(file);
  EXPECT_LT(svg.size(), 300'000u);
  if (::access("/usr/bin/xmllint", X_OK) == 0) {
    RunResult lint = run_command("/usr/bin/xmllint", {"--noout", file});
    EXPECT_TRUE(lint.ok()) << lint.err << lint.out;
  }
  Frame root;
  EXPECT_TRUE(read_frames(svg, root));
  EXPECT_TRUE(nests(root));
  EXPECT_GT(count_frames(root), 10u);
  EXPECT_NEAR(root.ir, instructions_line(r.out, tier), 0.5) << "the root is what the command printed";
  return root;
}

TEST(BlackboxProfileFlamegraph, HttpTierIsItsInstructionsSplitByPhase) {
  if (!can_run_valgrind()) GTEST_SKIP() << "valgrind is not installed, or cannot run this build";
  const Frame root = flamegraph("http");
  std::set<std::string> phases;
  phases_of(root, phases);
  for (const char* p : {"parse", "app", "mixed"}) EXPECT_TRUE(phases.count(p)) << p;
  // The same figure as --instructions, from its own callgrind run.
  RunResult r = run_command(kStrataBin,
                            {"profile", "--tier", "http", "--requests", "500", "--instructions",
                             "--instruction-requests", "50"},
                            55000ms);
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_NEAR(root.ir, instructions_line(r.out.substr(r.out.find("instructions per request")), "http"), 1.0);
}

TEST(BlackboxProfileFlamegraph, TypedTierHasItsOwnPhases) {
  if (!can_run_valgrind()) GTEST_SKIP() << "valgrind is not installed, or cannot run this build";
  const Frame root = flamegraph("typed");
  std::set<std::string> phases;
  phases_of(root, phases);
  for (const char* p : {"parse", "body", "handler", "serialize"}) EXPECT_TRUE(phases.count(p)) << p;
}

TEST(BlackboxProfileFlamegraph, ADirectoryThatCannotBeIsAnError) {
  TempDir dir;
  const std::string file = dir.path + "/a-file";
  std::ofstream(file) << "x";
  for (const std::string& bad : {file, file + "/below"}) {
    RunResult r = run_command(kStrataBin, {"profile", "--tier", "raw", "--flamegraph", bad}, 10000ms);
    ASSERT_TRUE(r.status && r.status->exited) << bad;
    EXPECT_NE(r.status->code, 0) << bad;
    EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace strata::test
