// A fixed set of mutants of the quickstart (its scenario and its platform), each one a class of
// bad input that once crashed edgetrain, made SimGrid abort, or ran with wrong figures. Every
// one must end in exit 0 with a sound run, or exit 2 with `error:` naming the file or key and
// nothing left behind.
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <unistd.h>
#include <string>

namespace fs = std::filesystem;
using testutil::Proc;
using testutil::TempDir;

namespace {

struct Mutant {
  const char* name;
  const char* file; // "xml" (platforms/quickstart.xml), "toml" (configs/quickstart.toml) or "pareto"
                    // (configs/pareto.csv, a copy of the shipped LeNet-5 table, which DISTREAL reads)
  const char* from; // replaced once; "" leaves the file as it is
  const char* to;
  const char* args; // more command-line arguments
  int code;
  const char* says; // in stderr (exit 2: after "error: ")
};

const Mutant kMutants[] = {
    // The platform's <config> section, checked as --cfg= is (SimGrid crashed or aborted).
    {"config cpu/optim TI", "xml", "<platform version=\"4.1\">",
     "<platform version=\"4.1\"><config><prop id=\"cpu/optim\" value=\"TI\"/></config>", "", 2,
     "platforms/quickstart.xml:28: <config>: cpu/optim: 'TI' is not one of: Lazy, Full"},
    {"config network/model ns-3", "xml", "<platform version=\"4.1\">",
     "<platform version=\"4.1\"><config><prop id=\"network/model\" value=\"ns-3\"/></config>", "", 2,
     "<config>: network/model: 'ns-3' is not one of"},
    {"config cpu/model Bogus", "xml", "<platform version=\"4.1\">",
     "<platform version=\"4.1\"><config><prop id=\"cpu/model\" value=\"Bogus\"/></config>", "", 2,
     "<config>: cpu/model: 'Bogus' is not one of: Cas01"},
    {"config a good option", "xml", "<platform version=\"4.1\">",
     "<platform version=\"4.1\"><config><prop id=\"network/model\" value=\"CM02\"/></config>", "", 0, ""},
    // Platform content SimGrid aborts on.
    {"WiFi zone without access_point", "xml", "<prop id=\"access_point\" value=\"wifi-ap-router\"/>", "", "", 2,
     "zone 'wifi-cell': a Wifi zone needs its property access_point"},
    {"wifi_watt_values abc", "xml", "<prop id=\"wifi_watt_values\" value=\"0:0.32:0.12:0\"/>",
     "<prop id=\"wifi_watt_values\" value=\"abc\"/>", "", 2, "property wifi_watt_values 'abc' must be idle:tx:rx:sleep"},
    {"rate list on a wired link", "xml", "<link id=\"phone-mid-1-up\" bandwidth=\"6Mbps\"",
     "<link id=\"phone-mid-1-up\" bandwidth=\"6Mbps,3Mbps\"", "", 2,
     "link 'phone-mid-1-up': bandwidth '6Mbps,3Mbps' lists 2 rates"},
    {"duplicate link id", "xml", "<link id=\"phone-mid-1-down\"", "<link id=\"phone-mid-1-up\"", "", 2,
     "platforms/quickstart.xml:153: link 'phone-mid-1-up': a second one of that name (the first is on line 150)"},
    {"duplicate host id", "xml", "<host id=\"phone-flagship-1\"", "<host id=\"phone-mid-1\"", "", 2,
     "host 'phone-mid-1': a second one of that name"},
    {"routing None holding routes", "xml", "id=\"lte-cell\" routing=\"Full\"", "id=\"lte-cell\" routing=\"None\"", "",
     2, "zone 'lte-cell' has routing None, which holds no routes"},
    {"include", "xml", "<platform version=\"4.1\">", "<platform version=\"4.1\"><include file=\"x.xml\"/>", "", 2,
     "<include> is refused by SimGrid 3.32"},
    {"routing in lower case, as SimGrid allows", "xml", "id=\"lte-cell\" routing=\"Full\"",
     "id=\"lte-cell\" routing=\"full\"", "", 0, ""},
    {"role bogus", "xml", "<prop id=\"role\" value=\"trainer\"/> <prop id=\"device_class\" value=\"phone-mid\"/>",
     "<prop id=\"role\" value=\"bogus\"/> <prop id=\"device_class\" value=\"phone-mid\"/>", "", 2,
     "host 'phone-mid-1': property role 'bogus' is not one of: aggregator, trainer, none"},
    {"control_duration -1", "xml", "<prop id=\"control_duration\" value=\"0.0036\"/>",
     "<prop id=\"control_duration\" value=\"-1\"/>", "", 2, "property control_duration '-1' is not a number >= 0"},
    // Content SimGrid dies on while loading (xbt_assert), caught by loading it first in a child.
    {"route declared twice", "xml",
     "<route src=\"phone-mid-1\" dst=\"lte-enb\" symmetrical=\"NO\"><link_ctn id=\"phone-mid-1-up\"/></route>",
     "<route src=\"phone-mid-1\" dst=\"lte-enb\" symmetrical=\"NO\"><link_ctn id=\"phone-mid-1-up\"/></route>"
     "<route src=\"phone-mid-1\" dst=\"lte-enb\" symmetrical=\"NO\"><link_ctn id=\"phone-mid-1-up\"/></route>",
     "", 2,
     "platforms/quickstart.xml: SimGrid cannot load the platform: The route between phone-mid-1 and lte-enb already "
     "exists"},
    // A route missing inside a Full zone: SimGrid leaves its links out silently.
    {"Full zone without a trainer's uplink route", "xml",
     "<route src=\"phone-mid-1\" dst=\"lte-enb\" symmetrical=\"NO\"><link_ctn id=\"phone-mid-1-up\"/></route>", "", "",
     2,
     "platforms/quickstart.xml:117: zone 'lte-cell' has no route from 'phone-mid-1' to 'lte-enb': trainer "
     "'phone-mid-1' has no complete route to aggregator 'edge-server'"},
    // Numbers a double cannot hold (read as garbage), and infinities the range checks let by.
    {"integer beyond 2^53", "xml", "", "", "--set training.deadline_s=9007199254740993", 2,
     "--set training.deadline_s: training.deadline_s: 9007199254740993 is beyond 2^53"},
    {"integer 2^53 itself", "xml", "", "", "--set training.deadline_s=9007199254740992", 0, ""},
    {"inf deadline", "xml", "", "", "--set training.deadline_s=inf", 2, "must be a finite number, got inf"},
    {"inf target loss", "xml", "", "", "--set training.target_loss=inf", 2, "must be a finite number, got inf"},
    {"inf round_s", "xml", "", "", "--set policy.fedavg-deadline.round_s=inf", 2, "must be a finite number, got inf"},
    {"integer beyond 2^53 in the file", "toml", "deadline_s = 3600", "deadline_s = 9007199254740993", "", 2,
     "configs/quickstart.toml:24:14: training.deadline_s: 9007199254740993 is beyond 2^53"},
    {"nan in the file", "toml", "target_loss = 0.6", "target_loss = nan", "", 2,
     "training.target_loss: must be a finite number, got nan"},
    {"more label shards than classes", "xml", "", "", "--set data.label_shards=1000", 2,
     "--set data.label_shards: data.label_shards: 1000 classes a trainer, and fashion-mnist has 10: at most 10"},
    {"as many label shards as classes", "xml", "", "", "--set data.label_shards=10", 0, ""},
    // Sizes that cannot fit, refused with the keys that size them before anything is allocated.
    {"PACT graph larger than memory", "xml", "", "",
     "--set policy.name=pact --set policy.pact.slots=100000 --set policy.pact.bin_width=0.0001", 2,
     "--set policy.pact.slots: policy.pact.slots, bin_width, progress_classes: the time-expanded graph (100000 "
     "slots x 13965 loss bins x 4 levels x round counts) and its tables need 134.1 GB"},
    {"trained samples larger than memory", "xml", "", "",
     "--set learning.process=trained --set data.total_samples=10000000000", 2,
     "--set data.total_samples: data.total_samples: the trained process would hold 1e+10 samples, 160.0 GB"},
    // The command line: CLI11's errors in the same form, and no silent clamping.
    {"seed beyond INT64_MAX", "xml", "", "", "--seed 99999999999999999999", 2,
     "error: command line: --seed: '99999999999999999999' is out of range"},
    {"seed not whole", "xml", "", "", "--seed 1.5", 2, "error: command line: --seed: '1.5' is not a whole number"},
    {"unknown option", "xml", "", "", "--bogus", 2,
     "error: command line: The following argument was not expected: --bogus\n(edgetrain run --help"},
    // DISTREAL's Pareto table: a header dropped (its first row went with it), speeds and FLOPs
    // that were used as they came.
    {"Pareto table as shipped", "pareto", "", "", "", 0, ""},
    {"Pareto table without its header", "pareto",
     "keep_conv1,keep_conv2,keep_fc1,keep_fc2,flops_per_batch,speed,speed_low,speed_high,seeds,source\n", "", "", 2,
     "configs/pareto.csv:1: the header must be keep_conv1,keep_conv2,keep_fc1,keep_fc2,flops_per_batch,"},
    {"Pareto speed nan", "pareto", "9594880,0.2816048527400505,", "9594880,nan,", "", 2,
     "configs/pareto.csv:2: field 6 'nan' is not a finite number"},
    {"Pareto speed -5", "pareto", "9594880,0.2816048527400505,", "9594880,-5,", "", 2,
     "configs/pareto.csv:2: speed -5 must be > 0"},
    {"Pareto speed inf", "pareto", "9594880,0.2816048527400505,", "9594880,inf,", "", 2,
     "field 6 'inf' is not a finite number"},
    {"Pareto speed outside its interval", "pareto", "9594880,0.2816048527400505,", "9594880,0.9,", "", 2,
     "speed 0.9 must lie in its interval"},
    {"Pareto flops_per_batch of another model", "pareto", "0.25,0.25,0.25,0.25,9594880,", "0.25,0.25,0.25,0.25,123,", "",
     2, "configs/pareto.csv:2: flops_per_batch 123 is not lenet5's cost of this vector"},
    {"Pareto flops_per_batch at another batch than the rest", "pareto", "0.25,0.25,0.25,0.25,9594880,",
     "0.25,0.25,0.25,0.25,19189760,", "", 2, "at the table's batch"},
    {"Pareto source bogus", "pareto", "3,trained\n0.25,0.25,0.25,0.5", "3,bogus\n0.25,0.25,0.25,0.5", "", 2,
     "configs/pareto.csv:2: source 'bogus' is not predictor or trained"},
    // SimGrid's log appender on a folder that does not exist (SimGrid aborted).
    {"log file in a missing folder", "xml", "", "", "--log=root.app:file:/nonexistent/dir/x.log", 2,
     "log file '/nonexistent/dir/x.log': no folder '/nonexistent/dir'"},
};

} // namespace

TEST_CASE("mutants of the quickstart: each runs soundly or is refused with error: and nothing left") {
  const std::string scenario = testutil::read(testutil::source_dir() / "configs/quickstart.toml");
  const std::string platform = testutil::read(testutil::source_dir() / "platforms/quickstart.xml");
  const std::string pareto = testutil::read(testutil::source_dir() / "configs/pareto/lenet5-hetero-50.csv");
  for (const Mutant& m : kMutants) {
    const std::string name = m.name;
    CAPTURE(name);
    TempDir d;
    std::string xml = platform, toml = scenario, csv = pareto;
    const std::string kind = m.file;
    std::string& target = kind == "xml" ? xml : kind == "toml" ? toml : csv;
    if (*m.from) {
      const std::size_t at = target.find(m.from);
      REQUIRE(at != std::string::npos);
      target.replace(at, std::string(m.from).size(), m.to);
    }
    d.write("configs/quickstart.toml", toml);
    d.write("platforms/quickstart.xml", xml);
    d.write("configs/pareto.csv", csv);
    const std::string distreal =
        kind == "pareto" ? "--set policy.name=distreal --set policy.distreal.pareto=pareto.csv " : "";
    const Proc p = testutil::run_edgetrain(
        "run configs/quickstart.toml --out out --no-progress --set training.max_rounds=2 " + distreal + m.args,
        d.path());
    CHECK_MESSAGE(p.code == m.code, p.err);
    if (m.code == 2) {
      CHECK(p.err.rfind("error: ", 0) == 0);
      CHECK(p.err.find(m.says) != std::string::npos);
      CHECK_FALSE(fs::exists(d.path() / "out"));
      for (const auto& e : fs::directory_iterator(d.path()))
        CHECK(e.path().filename().string().find("partial") == std::string::npos);
    } else {
      CHECK(testutil::read(d.path() / "out/summary.json").find("\"rounds\": 2") != std::string::npos);
    }
  }
}

namespace {
// p.xml: a cluster n-0 .. n-<last> (n-0 aggregates, in s.toml, which ends with `scenario`).
void cluster_run(const TempDir& d, int last, const std::string& scenario) {
  d.write("p.xml", fmt::format(R"(<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <cluster id="c" prefix="n-" suffix="" radical="0-{}" speed="1Gf" bw="125MBps" lat="50us"/>
</platform>
)",
                               last));
  d.write("s.toml", "[platform]\nfile = \"p.xml\"\naggregator = \"n-0\"\n" + scenario);
}
} // namespace

TEST_CASE("many trainers: guard pages go off before SimGrid would exceed vm.max_map_count, or the fix is named") {
  // 33,001 hosts: a trainer actor and its proxy on the aggregator each, and the coordinator, are
  // 2 x 33,001 + 1 = 66,003 actors; with guard pages their stacks would need 2 x 66,003 + 4,096 =
  // 136,102 mappings, past Linux's default vm.max_map_count (65,530); SimGrid aborted with "Failed
  // to protect stack". Two of them train a round (random, k = 2), so the run is short; the
  // decision is taken on the platform's size, before any actor exists.
  TempDir d;
  cluster_run(d, 33000, "[data]\ntotal_samples = 330010\n[training]\nmax_rounds = 1\n[policy]\nname = \"random\"\n"
                        "[policy.random]\nk = 2\n");
  std::ifstream limit("/proc/sys/vm/max_map_count");
  long max_maps = 0;
  limit >> max_maps;
  if (max_maps > 140000) return; // a machine with a raised limit (past 136,102): nothing to decide
  const Proc a = testutil::run_edgetrain("run s.toml --out a --no-progress -v", d.path());
  CHECK_MESSAGE(a.code == 0, a.err);
  CHECK(a.err.find("66003 actors at once: guard pages off (contexts/guard-size:0)") != std::string::npos);
  // Asked for guard pages: refused before the run, with the two ways out.
  const Proc b = testutil::run_edgetrain("run s.toml --out b --no-progress --cfg=contexts/guard-size:1", d.path());
  CHECK(b.code == 2);
  CHECK(b.err.find("contexts/guard-size: 66003 actors with guard pages need about 136102 memory mappings") !=
        std::string::npos);
  CHECK(b.err.find("set --cfg=contexts/guard-size:0, or raise vm.max_map_count") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path() / "b"));
}

TEST_CASE("leftovers: a run removes the hidden folders of killed runs on this machine, not live or others' ones") {
  // SIGKILL leaves .<out>.partial-<host>-<pid> behind; the next run into the same parent folder
  // removes those whose process is gone, and leaves a live process's and another host's.
  TempDir d;
  char name[256] = {};
  REQUIRE(gethostname(name, sizeof name - 1) == 0);
  std::string host = name;
  for (char& c : host)
    if (c == '-' || c == '/') c = '_';
  const fs::path dead = d.path() / (".old.partial-" + host + "-999999999");
  const fs::path live = d.path() / (".busy.partial-" + host + "-1"); // init never dies
  const fs::path other = d.path() / ".far.partial-otherhost-999999999";
  for (const fs::path& p : {dead, live, other}) {
    fs::create_directories(p);
    d.write(p.filename().string() + "/rounds.csv", "round\n");
  }
  const Proc p = testutil::run_edgetrain("run " + (testutil::source_dir() / "configs/quickstart.toml").string() +
                                             " --out new --no-progress --set training.max_rounds=1",
                                         d.path());
  REQUIRE_MESSAGE(p.code == 0, p.err);
  CHECK_FALSE(fs::exists(dead));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other));
  CHECK(fs::exists(d.path() / "new/summary.json"));
}

TEST_CASE("a platform refused as SimGrid loads it leaves no trace file its <config> asked for") {
  // SimGrid opens its trace file as the platform loads; a parse error (an exception) and a route
  // declared twice (xbt_assert: abort, caught by the load guard) must both take it away, while a
  // trace file that was there before stays (SimGrid has emptied it by then: it opens it for
  // writing as it reads the <config>).
  const std::string platform = testutil::read(testutil::source_dir() / "platforms/quickstart.xml");
  const std::string config = "<platform version=\"4.1\"><config><prop id=\"tracing\" value=\"yes\"/>"
                             "<prop id=\"tracing/filename\" value=\"t.trace\"/></config>";
  const std::string route =
      "<route src=\"phone-mid-1\" dst=\"lte-enb\" symmetrical=\"NO\"><link_ctn id=\"phone-mid-1-up\"/></route>";
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string xml = platform;
    xml.replace(xml.find("<platform version=\"4.1\">"), 24, config);
    xml.replace(xml.find(from), from.size(), to);
    return xml;
  };
  struct Case {
    const char* name;
    std::string xml;
    const char* says;
  };
  const Case cases[] = {
      {"parse error", with("<link_ctn id=\"phone-mid-1-up\"/></route>", "<linkx_ctn id=\"phone-mid-1-up\"/></route>"),
       "SimGrid cannot parse the platform"},
      {"route twice", with(route, route + route),
       "platforms/quickstart.xml: SimGrid cannot load the platform: The route between phone-mid-1 and lte-enb "
       "already exists"}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    for (const bool existed : {false, true}) {
      TempDir d;
      d.write("platforms/quickstart.xml", c.xml);
      if (existed) d.write("t.trace", "kept\n");
      const Proc p = testutil::run_edgetrain("validate platforms/quickstart.xml", d.path());
      CHECK(p.code == 2);
      CHECK(p.err.rfind("error: ", 0) == 0);
      CHECK_MESSAGE(p.err.find(c.says) != std::string::npos, p.err);
      CHECK(fs::exists(d.path() / "t.trace") == existed);
    }
  }
}

TEST_CASE("many trainers: trainer actors and their proxies run on small stacks, which SimGrid zeroes without guards") {
  // 40 trainers and their 40 proxies on the aggregator, every one training: without guard pages
  // SimGrid allocates each actor's stack zeroed (calloc). With glibc's allocator set to reuse its
  // heap, as edgetrain once did, 80 stacks of SimGrid's default 8 MiB were 640 MiB resident; at
  // 64 KiB, with jemalloc, the run stays near the program's own 75 MB. Peak memory of the run, read
  // from the kernel (the largest child this test process waited for).
  TempDir d;
  cluster_run(d, 40, "[training]\nmax_rounds = 2\n");
  const Proc p = testutil::run_edgetrain("run s.toml --out o --no-progress --cfg=contexts/guard-size:0", d.path());
  REQUIRE_MESSAGE(p.code == 0, p.err);
  CHECK(testutil::read(d.path() / "o/nodes.csv").find("\n2,40,n-40,trainer,1,1,") != std::string::npos);
  rusage children{};
  REQUIRE(getrusage(RUSAGE_CHILDREN, &children) == 0);
  CHECK_MESSAGE(children.ru_maxrss < 300 * 1024, "peak " << children.ru_maxrss << " KiB"); // KiB on Linux
}
