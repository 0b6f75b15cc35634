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
  // The counting passes: 2.25 and 2.5 system calls a request, and the
  // instructions of each row's stack.
  run.rows[0].syscalls = SyscallCounts{};
  run.rows[0].syscalls->total = 900;
  run.rows[0].syscall_requests = 400;
  run.rows[0].instructions_per_request = 7166;
  run.rows[1].syscalls = SyscallCounts{};
  run.rows[1].syscalls->total = 1000;
  run.rows[1].syscall_requests = 400;
  run.rows[1].instructions_per_request = 10694;
  run.rows.push_back(row(ablation_group_id("app", 100) + "/baseline", 4.0, 120000));
  run.rows.push_back(row(ablation_group_id("app", 100) + "/router=linear", 10.0, 50000, false));
  const std::string md = render_ablations(run);
  EXPECT_EQ(line_of(md, "| date=per-response |"),
            "| date=per-response | http | 0 | 100000 | 90000 | 5.00 | 5.50 | +0.50 | +10.0% | 2.25 | 2.50 | 7166 | 10694 |")
      << md;
  // Invalid: its figures are shown, the difference is not; no counting pass: "-".
  EXPECT_EQ(line_of(md, "| router=linear |"),
            "| router=linear | app | 100 | 120000 | 50000 | 4.00 | 10.00 | - | - | - | - | - | - |")
      << md;
  EXPECT_EQ(line_of(md, "| 100 |"), "| 100 | 4.00 | 10.00 | - | - |") << md;
  // Rows of no run are left out.
  EXPECT_EQ(md.find("| json=dom |"), std::string::npos) << md;
}

TEST(RenderAblations, StarletteRowsFollowTheirStrataTwinOrSayWhyNot) {
  RunResult run;
  run.rows.push_back(row(ablation_group_id("app", 0) + "/baseline", 10.0, 50000));
  run.rows.push_back(row(ablation_group_id("app", 0) + "/middleware=5 middleware-style=wrapped", 12.0, 45000));
  run.rows.push_back(row(kStarletteGroup + "/baseline", 100.0, 9000));
  run.rows.push_back(row(kStarletteGroup + "/middleware=5 middleware-style=wrapped", 200.0, 4500));
  run.rows.push_back(row(kStarletteGroup + "/middleware=5", 0, 0, false));
  run.rows.back().available = false;
  run.rows.back().skip_reason = "python3 lacks starlette";
  run.rows.back().summary = {};
  const std::string md = render_ablations(run);
  const std::string strata = line_of(md, "| middleware=5 middleware-style=wrapped |");
  const std::string starlette = line_of(md, "| Starlette, 5 BaseHTTPMiddleware |");
  EXPECT_EQ(starlette,
            "| Starlette, 5 BaseHTTPMiddleware | python app | 0 | 9000 | 4500 | 100.00 | 200.00 | +100.00 | +100.0% "
            "| - | - | - | - |")
      << md;
  EXPECT_LT(md.find(strata), md.find(starlette)) << md;
  EXPECT_EQ(line_of(md, "| Starlette, 5 pure-ASGI middlewares |"),
            "| Starlette, 5 pure-ASGI middlewares | python app | 0 | 9000 | - | 100.00 | - | - | - | - | - | - | - |")
      << md;
  EXPECT_NE(md.find("Not measured (python3 lacks starlette): Starlette, 5 pure-ASGI middlewares.\n"), std::string::npos)
      << md;
  EXPECT_EQ(starlette_env({{"middleware", "5"}, {"middleware-style", "wrapped"}}),
            (std::vector<std::string>{"STRATA_MIDDLEWARE=5", "STRATA_MIDDLEWARE_STYLE=wrapped"}));
}

// router=linear's twin is Starlette with the same extra routes (its router
// always scans), against Starlette with none; the sweep gains its column.
TEST(RenderAblations, StarletteRoutesTwinTheLinearRouter) {
  RunResult run;
  for (unsigned routes : ablation::route_sweep()) {
    const double n = routes;
    run.rows.push_back(row(ablation_group_id("app", routes) + "/baseline", 4.0, 100000));
    run.rows.push_back(row(ablation_group_id("app", routes) + "/router=linear", 4.0 + n / 100, 90000));
    if (routes > 0) run.rows.push_back(row(starlette_id({{"router", "linear"}}, routes), 60.0 + n / 10, 9000));
  }
  run.rows.push_back(row(starlette_id({}), 60.0, 10000));
  EXPECT_EQ(starlette_id({{"router", "linear"}}, 100), kStarletteGroup + "/routes=100");
  EXPECT_EQ(starlette_id({{"router", "linear"}}, 0), kStarletteGroup + "/baseline");
  const std::string md = render_ablations(run);
  EXPECT_EQ(line_of(md, "| Starlette, 100 extra routes |"),
            "| Starlette, 100 extra routes | python app | 100 | 10000 | 9000 | 60.00 | 70.00 | +10.00 | +16.7% "
            "| - | - | - | - |")
      << md;
  EXPECT_LT(md.find("| router=linear | app | 100 |"), md.find("| Starlette, 100 extra routes |")) << md;
  EXPECT_NE(md.find("| routes | CPU/req tree | CPU/req linear | delta | % | CPU/req Starlette | delta vs none |"),
            std::string::npos)
      << md;
  EXPECT_EQ(line_of(md, "| 0 |"), "| 0 | 4.00 | 4.00 | +0.00 | +0.0% | 60.00 | +0.00 |") << md;
  EXPECT_EQ(line_of(md, "| 1000 |"), "| 1000 | 4.00 | 14.00 | +10.00 | +250.0% | 160.00 | +100.00 |") << md;
  EXPECT_EQ(starlette_env({{"router", "linear"}}, 100), (std::vector<std::string>{"STRATA_ROUTES=100"}));
}

TEST(AblationSelected, KeepsTheNamedAblationsOnly) {
  EXPECT_TRUE(ablation_selected({{"date", "per-response"}}, {}));
  EXPECT_TRUE(ablation_selected({{"middleware", "5"}, {"middleware-style", "wrapped"}}, {"middleware"}));
  EXPECT_FALSE(ablation_selected({{"date", "per-response"}}, {"middleware", "json"}));
}

}  // namespace
}  // namespace strata::bench
