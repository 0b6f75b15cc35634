#include "harness/results.hpp"

#include <algorithm>

namespace strata::bench {

void summarize_rows(std::vector<RowResult>& rows) {
  int trials = 0;
  for (auto& row : rows) {
    row.valid = row.available && !row.trials.empty();
    row.invalid_reason.clear();
    for (const auto& t : row.trials) {
      trials = std::max(trials, t.trial);
      if (!t.valid && row.valid) {
        row.valid = false;
        row.invalid_reason = "trial " + std::to_string(t.trial) + ": " + t.invalid_reason;
      }
    }
  }

  // Per trial, per chain: decay against the nearest valid row above.
  std::vector<std::string> chains;
  for (const auto& row : rows)
    if (!row.chain.empty() && std::find(chains.begin(), chains.end(), row.chain) == chains.end())
      chains.push_back(row.chain);
  for (auto& row : rows)
    for (auto& t : row.trials) t.decay_rps = t.decay_cpu = std::nullopt;
  for (const auto& chain : chains) {
    for (int trial = 1; trial <= trials; ++trial) {
      std::vector<TrialFigures*> slots;
      std::vector<std::optional<double>> rps, cpu;
      for (auto& row : rows) {
        if (row.chain != chain || !row.valid) continue;
        for (auto& t : row.trials) {
          if (t.trial != trial) continue;
          slots.push_back(&t);
          rps.push_back(t.wrk.rps);
          cpu.push_back(t.cpu_us_per_request);
        }
      }
      auto drps = chain_decay(rps), dcpu = chain_decay(cpu);
      for (size_t i = 0; i < slots.size(); ++i) {
        slots[i]->decay_rps = drps[i];
        slots[i]->decay_cpu = dcpu[i];
      }
    }
  }

  for (auto& row : rows) {
    RowSummary s;
    std::vector<double> rps, cpu, p50, p90, p99, busy, drps, dcpu, db, user, sys, avg, max, bytes, transfer;
    for (const auto& t : row.trials) {
      s.socket_errors += t.wrk.socket_errors();
      s.non2xx += t.wrk.non2xx;
      if (!t.measured) continue;
      if (t.unanswered) {  // 0 req/s; no CPU per request or latency to average
        ++s.unanswered;
        rps.push_back(0);
        continue;
      }
      rps.push_back(t.wrk.rps);
      cpu.push_back(t.cpu_us_per_request);
      user.push_back(t.user_us_per_request);
      sys.push_back(t.sys_us_per_request);
      p50.push_back(t.wrk.p50_us);
      p90.push_back(t.wrk.p90_us);
      p99.push_back(t.wrk.p99_us);
      avg.push_back(t.wrk.latency_avg_us);
      max.push_back(t.wrk.latency_max_us);
      bytes.push_back(t.wrk.bytes_read);
      transfer.push_back(t.wrk.transfer_per_s);
      busy.push_back(t.busy);
      if (t.db_cpu_us_per_request) db.push_back(*t.db_cpu_us_per_request);
      if (t.decay_rps) drps.push_back(*t.decay_rps);
      if (t.decay_cpu) dcpu.push_back(*t.decay_cpu);
    }
    s.rps = summarize(rps);
    s.cpu_us = summarize(cpu);
    s.p50_us = summarize(p50);
    s.p90_us = summarize(p90);
    s.p99_us = summarize(p99);
    s.avg_us = summarize(avg);
    s.max_us = summarize(max);
    s.bytes_read = summarize(bytes);
    s.transfer_per_s = summarize(transfer);
    s.busy = summarize(busy);
    s.user_us = summarize(user);
    s.sys_us = summarize(sys);
    s.decay_rps = summarize(drps);
    s.decay_cpu = summarize(dcpu);
    s.db_cpu_us = summarize(db);
    row.summary = s;
    row.client_bound = s.busy && s.busy->median < 0.9;
  }
}

}  // namespace strata::bench
