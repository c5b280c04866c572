#include "simulator/metrics/csv_recorder.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace edgetrain {

std::string num(double x) {
  if (std::isnan(x)) return "";
  if (x == 0) return "0"; // also folds -0
  return fmt::format("{}", x);
}

namespace {
std::FILE* open_or_throw(const std::filesystem::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + p.string());
  return f;
}
} // namespace

CsvRecorder::CsvRecorder(const std::filesystem::path& rounds_csv, const std::filesystem::path& nodes_csv,
                         const Platform& platform)
    : platform_(platform), rounds_path_(rounds_csv), nodes_path_(nodes_csv) {
  rounds_ = open_or_throw(rounds_csv);
  nodes_ = open_or_throw(nodes_csv);
  fmt::print(rounds_, "round,start_s,end_s,trainers_planned,trainers_finished,loss,accuracy,energy_compute_j,"
                      "energy_network_j,energy_total_j,bytes_down,bytes_up,hosts_energy_unknown,energy_trainers_j,"
                      "energy_aggregator_j\n");
  fmt::print(nodes_,
             "round,node,host,role,trained,finished,compute_s,comm_s,flops,bytes,energy_j,pstate,keep_mean,"
             "online,battery_j\n");
}

CsvRecorder::~CsvRecorder() {
  if (rounds_) std::fclose(rounds_);
  if (nodes_) std::fclose(nodes_);
}

void CsvRecorder::close() {
  const bool bad = std::ferror(rounds_) || std::ferror(nodes_);
  const bool closed_bad = (std::fclose(rounds_) != 0) | (std::fclose(nodes_) != 0);
  rounds_ = nodes_ = nullptr;
  if (bad || closed_bad)
    throw std::runtime_error("cannot write " + rounds_path_.string() + " or " + nodes_path_.string());
}

void CsvRecorder::on_round(const RoundRecord& r, const RoundOutcome& outcome,
                           const std::vector<NodeView>& views) {
  fmt::print(rounds_, "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.round, num(r.start_s), num(r.end_s),
             r.trainers_planned, r.trainers_finished, num(r.loss), num(r.accuracy), num(r.energy_compute_j),
             num(r.energy_network_j), num(r.energy_total_j), num(r.bytes_down), num(r.bytes_up),
             r.hosts_energy_unknown, num(r.energy_trainers_j), num(r.energy_aggregator_j));
  // One row per node, in node order; nodes idle this round have trained = 0 and no energy charged.
  std::vector<const NodeOutcome*> by_node(views.size(), nullptr);
  for (const NodeOutcome& o : outcome.nodes)
    by_node[o.node] = &o;
  for (const NodeView& v : views) {
    NodeOutcome idle;
    if (!by_node[v.id]) {
      idle.node = v.id;
      idle.energy_j = v.has_power ? 0.0 : std::nan("");
      idle.pstate = static_cast<int>(platform_.nodes[v.id].host->get_pstate());
      idle.keep_mean = std::nan("");
    }
    const NodeOutcome& o = by_node[v.id] ? *by_node[v.id] : idle;
    fmt::print(nodes_, "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.round, o.node, v.host,
               v.role == Role::Aggregator ? "aggregator" : "trainer", o.trained ? 1 : 0, o.finished ? 1 : 0,
               num(o.compute_s), num(o.comm_s), num(o.flops), num(o.bytes), num(o.energy_j), o.pstate,
               num(o.keep_mean), v.online ? 1 : 0, v.battery_j < 0 ? std::string() : num(v.battery_j));
  }
}

} // namespace edgetrain
