// The bare SimGrid baseline of the engine benchmark: the same activities edgetrain plays for
// FedAvg, with nothing else. Per round: one actor per trainer receives the model from the
// aggregator (host-to-host send), computes on all its cores, sends its update back; the aggregator
// waits for all of them and aggregates.
//   bare_rounds PLATFORM.xml AGGREGATOR ROUNDS MODEL_BYTES TRAIN_FLOPS AGG_FLOPS_PER_UPDATE
#include <simgrid/plugins/energy.h>
#include <simgrid/s4u.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

int main(int argc, char** argv) {
  sg4::Engine e(&argc, argv);
  if (argc != 7) {
    std::fprintf(stderr,
                 "usage: %s PLATFORM AGGREGATOR ROUNDS MODEL_BYTES TRAIN_FLOPS AGG_FLOPS_PER_UPDATE\n",
                 argv[0]);
    return 2;
  }
  sg_host_energy_plugin_init();
  sg_link_energy_plugin_init();
  e.load_platform(argv[1]);
  sg4::Host* agg = e.host_by_name(argv[2]);
  const int rounds = std::atoi(argv[3]);
  const auto bytes = static_cast<std::uint64_t>(std::atof(argv[4]));
  const double flops = std::atof(argv[5]), agg_flops = std::atof(argv[6]);
  std::vector<sg4::Host*> trainers;
  for (sg4::Host* h : e.get_all_hosts())
    if (h != agg) trainers.push_back(h);

  sg4::Actor::create("coordinator", agg, [&] {
    for (int r = 0; r < rounds; ++r) {
      std::vector<sg4::ActorPtr> actors;
      actors.reserve(trainers.size());
      for (sg4::Host* h : trainers)
        actors.push_back(sg4::Actor::create("t", h, [h, agg, bytes, flops] {
          sg4::Comm::sendto(agg, h, bytes);
          sg4::this_actor::exec_init(flops / h->get_core_count())
              ->set_thread_count(h->get_core_count())
              ->wait();
          sg4::Comm::sendto(h, agg, bytes);
        }));
      for (auto& a : actors)
        a->join();
      sg4::this_actor::execute(agg_flops * static_cast<double>(trainers.size()));
    }
  });
  e.run();
  std::printf("simulated %.6f s\n", sg4::Engine::get_clock());
  return 0;
}
