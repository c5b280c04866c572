// SimGrid 3.32's own example platforms (tests/data/simgrid-3.32-platforms), as a new user
// brings them: the first host aggregates, every other host trains, 2 rounds of FedAvg. Each
// runs, or is refused with exit 2 for the reason it really has; none crashes. Before routes were
// computed after sealing the platform, g5k, meta_cluster, routing_cluster, vivaldi,
// ns3-big-cluster, bypassRoute and energy_boot were refused wrongly.
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

namespace fs = std::filesystem;
using testutil::Proc;
using testutil::TempDir;

namespace {

struct Example {
  const char* file;
  const char* aggregator; // the file's first host
  const char* refused;    // "" when it runs; otherwise what the error says
  int rounds = 2;         // when it runs
};

const Example kExamples[] = {
    {"bypassRoute.xml", "AS_1_host1", ""},
    {"bypassZoneRoute.xml", "1", ""},
    {"cloud.xml", "cb1-1.dc1.acloud.com", "SimGrid says \"Please specify the Vivaldi coordinates of Netzone AS2_dc2\""}, // its Vivaldi zones have no coordinates: SimGrid cannot route between data centres
    {"cluster_and_one_host.xml", "c-0.me", ""},
    {"cluster_backbone.xml", "node-0.simgrid.org", ""},
    {"cluster_crossbar.xml", "node-0.simgrid.org", "cannot give each of the 65535 other trainers one"}, // 65,536 hosts and the data set has 60,000 samples
    {"cluster_dragonfly.xml", "node-0.simgrid.org", ""},
    {"cluster_fat_tree.xml", "node-0.simgrid.org", ""},
    {"cluster_multi.xml", "node-0.1core.org", ""},
    {"cluster_torus.xml", "node-0.simgrid.org", ""},
    {"config.xml", "bob", "config.xml:6: <config>: cpu/optim: 'TI' is not one of: Lazy, Full"}, // cpu/optim:TI crashes SimGrid 3.32
    {"config_tracing.xml", "Tremblay", ""},
    {"crosstraffic.xml", "S1", ""},
    {"data_center.xml", "cb1-1.dc1.acloud.com", ""},
    {"dogbone.xml", "S1", "zone 'AS0' has no route from 'S2' to 'S1'"}, // a route only from S1 and S2 to C1 and C2: none between S1 and S2
    {"energy_boot.xml", "MyHost1", ""},
    {"energy_cluster.xml", "MyHost1", ""},
    {"energy_platform.xml", "MyHost1", ""},
    {"faulty_host.xml", "Faulty Host", "zone 'AS0' has no route from 'Safe Host' to 'Faulty Host'"}, // two hosts and no link
    {"g5k.xml", "bordeplage-1.bordeaux.grid5000.fr", ""},
    {"griffon.xml", "griffon-1.nancy.grid5000.fr", ""},
    {"hosts_with_disks.xml", "bob", ""},
    {"meta_cluster.xml", "host-1.cluster1", ""},
    {"model_checker_platform.xml", "HostA", ""},
    {"multicore_machine.xml", "Tremblay", "no trainer host"}, // one host only
    {"ns3-big-cluster.xml", "c-01.rennes", ""},
    {"onelink.xml", "S1", ""},
    {"prop.xml", "node-0.simgrid.org", "prop.xml:6: zone 'AS0' has no route from 'AS4' to 'acme'"}, // AS0 has no zoneRoute between its zones
    {"ptask_L07.xml", "cpu0", "", 1}, // 1 flop/s hosts, 1 B/s links: round 1 meets the day's deadline
    {"routing_cluster.xml", "host1", ""},
    {"simulacrum_7_hosts.xml", "Host 26", ""},
    {"small_platform.xml", "Tremblay", ""},
    {"small_platform_failures.xml", "Tremblay", ""},
    {"small_platform_fatpipe.xml", "Tremblay", ""},
    {"small_platform_one_link_routes.xml", "Tremblay", ""},
    {"small_platform_profile.xml", "Jupiter", ""},
    {"small_platform_routing_none.xml", "Tremblay", "a zone of routing None has no routes"}, // for SimGrid's Constant network model: no routes at all
    {"small_platform_with_routers.xml", "Tremblay", ""},
    {"three_multicore_hosts.xml", "PM0", ""},
    {"two_hosts.xml", "Tremblay", ""},
    {"two_hosts_platform_shared.xml", "cpu0", ""},
    {"two_hosts_platform_with_availability_included.xml", "Cpu A", "the aggregator 'Cpu A' was switched off at 1 s"}, // its first host's state profile turns it off at 1 s
    {"two_hosts_profiles.xml", "Cpu A", "the aggregator 'Cpu A' was switched off at 1 s"}, // its first host's state profile turns it off at 1 s
    {"two_peers.xml", "100030591", ""},
    {"vivaldi.xml", "100030591", ""},
    {"wifi.xml", "Station 1", ""},
    {"wifi_energy.xml", "Station 1", ""},
    {"wifi_ns3.xml", "alice", "<config>: network/model: 'ns-3' is not one of"}, // an ns-3 WiFi example
};

} // namespace

TEST_CASE("SimGrid 3.32's example platforms: each runs 2 rounds of FedAvg or is refused for its real reason") {
  const fs::path dir = testutil::source_dir() / "tests/data/simgrid-3.32-platforms";
  std::set<std::string> listed;
  for (const Example& e : kExamples)
    listed.insert(e.file);
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".xml") CHECK_MESSAGE(listed.count(entry.path().filename().string()), entry.path());
  int ran = 0;
  for (const Example& e : kExamples) {
    const std::string file = e.file;
    CAPTURE(file);
    TempDir d;
    d.write("s.toml", "[platform]\nfile = \"" + (dir / e.file).string() + "\"\naggregator = \"" + e.aggregator +
                          "\"\n[training]\nmax_rounds = 2\ntarget_loss = 0.01\n[policy]\nname = \"fedavg\"\n");
    const Proc p = testutil::run_edgetrain("run s.toml --out out --no-progress", d.path());
    if (*e.refused == '\0') {
      CHECK_MESSAGE(p.code == 0, p.err);
      const std::string summary = testutil::read(d.path() / "out/summary.json");
      CHECK(summary.find("\"rounds\": " + std::to_string(e.rounds) + ",") != std::string::npos);
      if (e.rounds < 2) CHECK(summary.find("\"stop_reason\": \"deadline\"") != std::string::npos);
      ran += p.code == 0;
    } else {
      CHECK_MESSAGE(p.code == 2, p.err);
      // Warnings may come first (a platform without power figures); the error is a line of its own.
      CHECK((p.err.rfind("error: ", 0) == 0 || p.err.find("\nerror: ") != std::string::npos));
      CHECK_MESSAGE(p.err.find(e.refused) != std::string::npos, p.err);
      CHECK_FALSE(fs::exists(d.path() / "out"));
    }
  }
  CHECK(ran == 37);
}
