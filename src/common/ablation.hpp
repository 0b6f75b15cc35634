// Ablation switches: `--ablate NAME[=VALUE]` on `strata serve`, `strata
// bench` and `strata profile` swaps one of strata's design choices for the
// naive alternative many frameworks make, so a reader can flip one choice
// and watch the cost move (docs/design-choices.md).
//
// Contract:
//  - The set is filled once, while the command line is parsed, before any
//    app, router or server is built; after that it is read-only. Every tier
//    reads it only while it builds itself (Application::build, the HTTP
//    worker's constructor, the API's constructor), never per request, and
//    installs a different function or object for the ablated choice. With
//    no ablation given, no code on the request path differs: the baseline's
//    instruction counts are the same as a build without this file.
//  - `strata profile` alone replaces the set between the apps it builds
//    (set_active), each app reading it when built; nothing else may.
//  - Not thread-safe to change; safe to read from any thread once serving.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata::ablation {

// One ablation as given: the name and its value (the default value when
// the command line gave the name alone).
struct Setting {
  std::string name;
  std::string value;
};
using Set = std::vector<Setting>;

// What the known ablations are, for help texts, errors and the tables.
struct Known {
  std::string_view name;
  std::string_view values;         // "per-response", "off", "N (1-1000)", ...
  std::string_view default_value;  // what NAME alone means
  std::string_view tiers;          // where it applies: "http app typed"
  std::string_view models;         // one line: what it stands for
};
const std::vector<Known>& known();

// Parses "NAME[=VALUE]". On success returns the setting; otherwise returns
// false and sets `error` to one sentence naming what is wrong.
bool parse(std::string_view arg, Setting& out, std::string& error);
// Checks a whole set: a name given twice, or a setting that needs another
// (middleware-style needs middleware). Same error convention.
bool check(const Set& set, std::string& error);

// The process-wide set (empty: the baseline).
const Set& active();
void set_active(Set set);
// Adds one parsed setting to the process-wide set (the command line).
void add(Setting s);

// The value given for `name`, or "" when that ablation is off.
std::string_view value(std::string_view name);
inline bool on(std::string_view name) { return !value(name).empty(); }
// The value as a count (middleware=N), 0 when off.
unsigned count(std::string_view name);
// How many times value() (and so on() and count()) has been called in this
// process: the contract's "never per request", made testable.
unsigned long reads();

// Whether the ablation named `name` applies to `tier`; and the part of
// `set` that does (what `strata bench --ablate` passes to each tier's server).
bool applies(std::string_view name, std::string_view tier);
Set applying_to(const Set& set, std::string_view tier);

// "date=per-response router=linear", or "baseline" for an empty set.
std::string describe(const Set& set);
// The same set as command-line arguments: {"--ablate", "date=per-response", ...}.
std::vector<std::string> as_args(const Set& set);

// The rows of "what each design choice is worth" (`strata bench
// --ablations`, `strata profile --ablations`): each ablation on the tier
// and scenario it affects, with the extra routes both modes register.
struct TableRow {
  std::string tier;
  std::string scenario;
  unsigned routes = 0;
  Set set;
};
const std::vector<TableRow>& table_rows();
// The --routes sweep beside it (tier app, tree vs router=linear).
const std::vector<unsigned>& route_sweep();

// Extra routes (`--routes N`): registered in every mode, before the
// workload's own, so the matching strategy alone differs between the
// tree and router=linear (which scans them all before reaching /user).
unsigned extra_routes();
void set_extra_routes(unsigned n);

}  // namespace strata::ablation
