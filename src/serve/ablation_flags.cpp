#include "common/ablation.hpp"
#include "serve/serve_internal.hpp"

namespace strata::serving {

void add_ablation_flags(CLI::App& cmd) {
  std::string names;
  for (const ablation::Known& k : ablation::known())
    names.append(names.empty() ? "" : ", ").append(k.name).append("=").append(k.values);
  // All values at once, so the set is checked whole (a name given twice,
  // middleware-style without middleware) whatever the order on the line.
  cmd.add_option_function<std::vector<std::string>>(
         "--ablate",
         [](const std::vector<std::string>& args) {
           ablation::Set set;
           std::string error;
           for (const std::string& a : args) {
             ablation::Setting s;
             if (!ablation::parse(a, s, error)) throw CLI::ValidationError("--ablate", error);
             set.push_back(std::move(s));
           }
           if (!ablation::check(set, error)) throw CLI::ValidationError("--ablate", error);
           ablation::set_active(std::move(set));
         },
         "Swap one design choice for a naive one, NAME[=VALUE], repeatable (docs/design-choices.md): " + names)
      ->allow_extra_args(false);
  cmd.add_option_function<unsigned>(
         "--routes", [](unsigned n) { ablation::set_extra_routes(n); },
         "app, typed: register N extra routes before the workload's own (see --ablate router=linear)")
      ->check(CLI::Range(0u, 100000u))
      ->default_str("0");
}

}  // namespace strata::serving
