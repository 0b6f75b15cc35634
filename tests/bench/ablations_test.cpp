// render_ablations (bench/harness/ablations.hpp): pairs each ablated row
// with its baseline by id and prints the difference in server CPU per
// request; a row that did not run or was invalid shows "-".
#include <gtest/gtest.h>

#include "harness/ablations.hpp"

namespace strata::bench {
namespace {

RowResult row(const std::string& id, double cpu_us, double rps, bool valid = true) {
  RowResult r;
  r.id = id;
  r.valid = valid;
  r.summary.cpu_us = Spread{cpu_us, cpu_us, cpu_us, 1};
  r.summary.rps = Spread{rps, rps, rps, 1};
  return r;
}

std::string line_of(const std::string& md, const std::string& start) {
  const size_t at = md.find("\n" + start);
  if (at == std::string::npos) return "";
  return md.substr(at + 1, md.find('\n', at + 1) - at - 1);
}

TEST(RenderAblations, PairsEachAblationWithItsBaseline) {
  RunResult run;
  run.rows.push_back(row(ablation_group_id("http", 0) + "/baseline", 5.0, 100000));
  run.rows.push_back(row(ablation_group_id("http", 0) + "/date=per-response", 5.5, 90000));
  run.rows.push_back(row(ablation_group_id("app", 100) + "/baseline", 4.0, 120000));
  run.rows.push_back(row(ablation_group_id("app", 100) + "/router=linear", 10.0, 50000, false));
  const std::string md = render_ablations(run);
  EXPECT_EQ(line_of(md, "| date=per-response |"), "| date=per-response | http | 0 | 100000 | 90000 | 5.00 | 5.50 | +0.50 | +10.0% |")
      << md;
  // Invalid: its figures are shown, the difference is not.
  EXPECT_EQ(line_of(md, "| router=linear |"), "| router=linear | app | 100 | 120000 | 50000 | 4.00 | 10.00 | - | - |")
      << md;
  EXPECT_EQ(line_of(md, "| 100 |"), "| 100 | 4.00 | 10.00 | - | - |") << md;
  // Rows of no run are left out.
  EXPECT_EQ(md.find("| json=dom |"), std::string::npos) << md;
}

}  // namespace
}  // namespace strata::bench
