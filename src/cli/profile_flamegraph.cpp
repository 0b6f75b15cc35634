// `strata profile --flamegraph DIR`: one flame graph per tier of the
// measured loop, from callgrind's call stacks.
//
// The widths come from one run with probes off (the same run, and so the
// same total, as `--instructions`); the colours from one run per phase,
// each collecting only while that phase is the innermost open span. Each
// phase gets what its run saw of a stack (scaled down, should the phase
// runs together see more than the probes-off run did); the rest of the
// stack's cost is "(untimed)". Stacks only the phase runs have (the probes'
// own code) have no width, so the probes cost nothing here.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "cli/profile_internal.hpp"
#include "common/text.hpp"
#include "kit/process.hpp"

namespace strata::cli::profiling {

namespace {

// Deep enough to reach from a leaf of the deepest request up past
// run_requests, where every stack is cut so they share one root.
constexpr int kCallers = 48;
constexpr const char* kAnchor = "strata::cli::profiling::run_requests(";

constexpr size_t kUntimed = probe::kPhases;  // the slot after the phases
constexpr size_t kSlots = probe::kPhases + 1;
using Costs = std::array<double, kSlots>;  // instructions per request, per phase

std::string slot_name(size_t slot) {
  return slot == kUntimed ? "(untimed)" : std::string(probe::name(probe::all_phases[slot]));
}

// One colour per phase, light enough for black text; grey for what no
// phase claims, pale beige for frames no single phase dominates.
constexpr std::array<const char*, kSlots> kColours = {
    "#f4a259", "#edc948", "#e97b7d", "#c39bd3", "#ff9da7", "#c9a27e", "#8fcfca",
    "#8cc97f", "#9dbde0", "#bcdff5", "#d8e98f", "#e3c6e0", "#d9d9d9"};
constexpr const char* kMixedColour = "#f3ecd9";
constexpr double kDominant = 0.75;  // a frame takes a phase's colour from this share on

// The measured loop of `what` ("total" or a phase) under callgrind, with
// call stacks: each function's self cost is split by the chain of callers.
Profile run_child(const std::string& valgrind, const std::string& tier, const Scenario& sc, long n,
                  const std::string& what) {
  CallgrindRun run;
  run_callgrind_child(run, valgrind, tier, sc, n, what,
                      {"--separate-callers=" + std::to_string(kCallers), "--separate-recs=1", "--compress-pos=no"});
  Profile p;
  std::string error = run.ok ? "" : run.error.empty() ? "it ended without saying why" : run.error;
  if (run.ok) {
    try {
      p = read_profile(run.measured);
    } catch (const Failure& f) {
      error = f.why;
    }
  }
  if (!error.empty()) throw Failure{"callgrind run for tier " + tier + " (" + what + ") failed: " + error};
  return p;
}

// Self instructions per request by callgrind context ("f'caller'...").
std::unordered_map<std::string, double> by_context(const Profile& p, long n) {
  std::unordered_map<std::string, double> out;
  for (const FunctionCost& f : p.functions)
    if (f.self > 0) out[f.name] += static_cast<double>(f.self) / static_cast<double>(n);
  return out;
}

// Outermost caller first, cut at the measured loop; a context that stops
// short of it (deeper than kCallers) says so in its first frame.
std::vector<std::string> stack_of(const std::string& context) {
  std::vector<std::string> frames;
  size_t from = 0;
  while (true) {
    const size_t quote = context.find('\'', from);
    frames.push_back(context.substr(from, quote == std::string::npos ? std::string::npos : quote - from));
    if (quote == std::string::npos) break;
    from = quote + 1;
  }
  std::reverse(frames.begin(), frames.end());
  const auto anchor = std::find_if(frames.begin(), frames.end(),
                                   [](const std::string& f) { return f.rfind(kAnchor, 0) == 0; });
  if (anchor != frames.end())
    frames.erase(frames.begin(), anchor);
  else if (frames.size() > static_cast<size_t>(kCallers))
    frames.insert(frames.begin(), "(stack deeper than " + std::to_string(kCallers) + " calls)");
  return frames;
}

struct Frame {
  std::string name;
  Costs costs{};  // inclusive
  std::vector<Frame> children;

  double value() const {
    double v = 0;
    for (double c : costs) v += c;
    return v;
  }
  Frame& child(const std::string& n) {
    for (Frame& f : children)
      if (f.name == n) return f;
    children.push_back(Frame{n, {}, {}});
    return children.back();
  }
};

void add(Costs& to, const Costs& c) {
  for (size_t i = 0; i < kSlots; ++i) to[i] += c[i];
}

// The probes-off run's stacks, each split between the phases that ran it.
Frame build_tree(const std::string& title, const Profile& total, const std::vector<std::pair<size_t, Profile>>& phases,
                 long n) {
  std::vector<std::unordered_map<std::string, double>> seen;
  for (const auto& [slot, p] : phases) seen.push_back(by_context(p, n));
  Frame root{title, {}, {}};
  for (const auto& [context, width] : by_context(total, n)) {
    Costs c{};
    double claimed = 0;
    for (size_t i = 0; i < phases.size(); ++i) {
      const auto it = seen[i].find(context);
      if (it != seen[i].end()) claimed += c[phases[i].first] = it->second;
    }
    // With probes on a stack may run a little more often (an enabled()
    // branch taken); scaling keeps the probes-off width.
    if (claimed > width)
      for (double& v : c) v *= width / claimed;
    c[kUntimed] = std::max(0.0, width - std::min(claimed, width));
    add(root.costs, c);
    Frame* f = &root;
    for (const std::string& name : stack_of(context)) {
      f = &f->child(name);
      add(f->costs, c);
    }
  }
  return root;
}

// ---------------------------------------------------------------- SVG

constexpr double kWidth = 1200, kPad = 10, kRow = 16;

// Symbols are printed by callgrind; see text::xml_escape.
std::string escape(const std::string& s) { return text::xml_escape(s, /*ascii_only=*/true); }

// The name without its parameter list: labels have little room.
std::string label_of(const std::string& name) {
  size_t end = name.rfind(')');
  if (end == std::string::npos || name.back() == '>') return name;
  int depth = 0;
  for (size_t i = end + 1; i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) return i == 0 ? name : name.substr(0, i);
  }
  return name;
}

// The dominant phase's slot, or -1 when none has kDominant of the frame.
int colour_slot(const Frame& f) {
  const auto top = std::max_element(f.costs.begin(), f.costs.end());
  const double v = f.value();
  return v > 0 && *top >= kDominant * v ? static_cast<int>(top - f.costs.begin()) : -1;
}

struct Svg {
  double total;      // the root's instructions per request
  double threshold;  // narrower frames are folded into "(other)"
  std::string out;

  double px(double v) const { return v / total * (kWidth - 2 * kPad); }

  // Children narrower than the threshold become one "(other)" frame.
  struct Shown {
    std::vector<const Frame*> kept;
    Frame other{"(other)", {}, {}};
  };
  Shown shown(const Frame& f) const {
    Shown s;
    for (const Frame& c : f.children) {
      if (c.value() >= threshold)
        s.kept.push_back(&c);
      else
        add(s.other.costs, c.costs);
    }
    std::sort(s.kept.begin(), s.kept.end(), [](const Frame* a, const Frame* b) { return a->name < b->name; });
    return s;
  }
  bool other_shown(const Shown& s) const { return s.other.value() >= threshold; }

  int depth(const Frame& f) const {
    const Shown s = shown(f);
    int d = other_shown(s) ? 1 : 0;
    for (const Frame* c : s.kept) d = std::max(d, depth(*c));
    return d + 1;
  }

  void frame(const Frame& f, double x, int level, double bottom) {
    const double v = f.value(), w = px(v), y = bottom - (level + 1) * kRow;
    const int slot = colour_slot(f);
    std::string phases;
    std::vector<size_t> order;
    for (size_t i = 0; i < kSlots; ++i)
      if (f.costs[i] > 0) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return f.costs[a] > f.costs[b]; });
    for (size_t i : order)
      phases += fmt("%s%s %.1f%%", phases.empty() ? "" : ", ", slot_name(i).c_str(), 100 * f.costs[i] / v);
    std::string name = f.name.size() > 600 ? f.name.substr(0, 597) + "..." : f.name;
    out += fmt("<g data-ir=\"%.3f\" data-phase=\"%s\"><title>", v,
               slot < 0 ? "mixed" : slot == static_cast<int>(kUntimed) ? "untimed"
                                                                        : slot_name(static_cast<size_t>(slot)).c_str());
    out += escape(name) + "\n" + group(v) + " instructions per request, " + fmt("%.2f", 100 * v / total) +
           "% of the total\n" + (order.size() == 1 ? "phase: " : "phases: ") + escape(phases) + "</title>";
    out += fmt("<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"/>", x, y, w, kRow - 1,
               slot < 0 ? kMixedColour : kColours[static_cast<size_t>(slot)]);
    const size_t room = w > 20 ? static_cast<size_t>((w - 6) / 6.6) : 0;
    if (room >= 3) {
      std::string label = label_of(f.name);
      if (label.size() > room) label = label.substr(0, room - 2) + "..";
      out += fmt("<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + kRow - 4) + escape(label) + "</text>";
    }
    out += "\n";
    double cx = x;
    const Shown s = shown(f);
    for (const Frame* c : s.kept) {
      frame(*c, cx, level + 1, bottom);
      cx += px(c->value());
    }
    if (other_shown(s)) frame(s.other, cx, level + 1, bottom);
    out += "</g>\n";
  }
};

std::string render(const Frame& root, const std::string& heading, double threshold) {
  Svg svg{root.value(), threshold * root.value(), {}};
  // The legend first, since how many rows it wraps to sets the height:
  // the phases this tier has, then the two neutral colours.
  std::string legend;
  double x = kPad, y = 30;
  auto key = [&](const char* colour, const std::string& text) {
    const double w = 16 + 6.6 * static_cast<double>(text.size()) + 14;
    if (x + w > kWidth - kPad) x = kPad, y += kRow;
    legend += fmt("<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, y, colour);
    legend += fmt("<text x=\"%.0f\" y=\"%.0f\">", x + 16, y + 10) + escape(text) + "</text>\n";
    x += w;
  };
  for (size_t i = 0; i < kSlots; ++i)
    if (root.costs[i] > 0) key(kColours[i], fmt("%s %.1f%%", slot_name(i).c_str(), 100 * root.costs[i] / svg.total));
  key(kMixedColour, "several phases");
  const double height = y + kRow + 4 + svg.depth(root) * kRow + kPad;
  svg.out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg.out += fmt("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                 "viewBox=\"0 0 %.0f %.0f\">\n",
                 kWidth, height, kWidth, height);
  svg.out += "<style>text{font:11px monospace;fill:#000;pointer-events:none}rect{stroke:#fff;stroke-width:0.5}"
             ".h{font:bold 14px sans-serif}</style>\n";
  svg.out += fmt("<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", kWidth, height);
  svg.out += fmt("<text class=\"h\" x=\"%.0f\" y=\"20\">", kPad) + escape(heading) + "</text>\n";
  svg.out += legend;
  svg.frame(root, kPad, 0, height - kPad);
  svg.out += "</svg>\n";
  return svg.out;
}

}  // namespace

void write_flamegraphs(const std::vector<std::string>& tiers, const Scenario& sc, long n, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw Failure{"--flamegraph: cannot create the directory " + dir +
                  (ec ? ": " + ec.message() : ": a file is in the way")};
  const std::string valgrind = kit::find_executable("valgrind");
  if (valgrind.empty()) throw Failure{"--flamegraph needs valgrind (apt-get install valgrind)"};
  std::printf("flame graphs of scenario %s, %ld requests per callgrind run (one probes-off run for the widths,\n"
              "one per phase for the colours)\n\n", sc.name.c_str(), n);
  std::fflush(stdout);
  for (const std::string& tier : tiers) {
    // Which phases this tier opens: a short in-process batch with probes on.
    const TierTimes times = time_tier(tier, sc, 200);
    const Profile total = run_child(valgrind, tier, sc, n, "total");
    std::vector<std::pair<size_t, Profile>> phases;
    for (size_t i = 0; i < probe::kPhases; ++i)
      if (times.totals.phases[i].count > 0)
        phases.emplace_back(i, run_child(valgrind, tier, sc, n, std::string(probe::name(probe::all_phases[i]))));
    const Frame root = build_tree("all: tier " + tier + ", " + sc.request.substr(0, sc.request.find(' ', 5)), total,
                                  phases, n);
    const std::string heading = "strata tier " + tier + ", scenario " + sc.name + ": " + group(root.value()) +
                                " instructions per request (callgrind, " + std::to_string(n) + " requests)";
    // Fold narrow frames until the file stays small enough to embed.
    std::string svg;
    for (double threshold = 0.0005; svg.empty() || (svg.size() > 300'000 && threshold < 0.05); threshold *= 2)
      svg = render(root, heading, threshold);
    const std::string path = (std::filesystem::path(dir) / (tier + ".svg")).string();
    std::ofstream file(path, std::ios::binary);
    file << svg;
    file.close();
    if (!file) throw Failure{"--flamegraph: cannot write " + path};
    std::printf("tier %s: %s instructions/request -> %s (%zu KB)\n", tier.c_str(), group(root.value()).c_str(),
                path.c_str(), (svg.size() + 1023) / 1024);
    std::fflush(stdout);
  }
}

}  // namespace strata::cli::profiling
