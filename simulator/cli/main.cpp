// The `edgetrain` program: run a scenario, list policies, print the scenario keys.
#include "policies/policy.hpp"
#include "simulator/cli/calibrate_command.hpp"
#include "simulator/cli/campaign_command.hpp"
#include "simulator/cli/cli_numbers.hpp"
#include "simulator/cli/dse_command.hpp"
#include "simulator/cli/fidelity_command.hpp"
#include "simulator/cli/platform_command.hpp"
#include "simulator/cli/report_command.hpp"
#include "simulator/cli/run_command.hpp"
#include "simulator/cli/validate_command.hpp"
#include "simulator/common/nearest.hpp"
#include "simulator/learning/model.hpp"
#include "simulator/scenario/scenario.hpp"
#include "simulator/version.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>

namespace {

using namespace edgetrain;

void print_policies() {
  for (const PolicyInfo& p : policy_registry()) {
    fmt::print("{:<14} {}\n", p.name, p.summary);
    for (const KeySpec& k : p.params)
      fmt::print("{:<14}   policy.{}.{} = {}  {}\n", "", p.name, k.path, value_to_string(k.def), k.doc);
  }
}

std::string range_text(const KeySpec& k) {
  if (!k.choices.empty()) return join(k.choices, ", ");
  if (k.type != ValueType::Int && k.type != ValueType::Float) return "";
  std::string lo = fmt::format("{}{}", k.min_exclusive ? "> " : ">= ", k.min);
  if (std::isfinite(k.max)) return fmt::format("{}, <= {}", lo, k.max);
  return std::isfinite(k.min) ? lo : "";
}

// The scenario reference as a Markdown table: the README's is this output.
void print_keys() {
  fmt::print("| key | type | default | unit | range | meaning |\n|---|---|---|---|---|---|\n");
  for (const KeySpec& k : scenario_schema())
    fmt::print("| `{}` | {} | `{}` | {} | {} | {} |\n", k.path, type_name(k.type), value_to_string(k.def),
               k.unit, range_text(k), k.doc);
  fmt::print("| `data.samples.<host>` | integer | | samples | >= 1 | samples on that trainer, overriding the "
             "split |\n");
}

} // namespace

int main(int argc, char** argv) {
  // The program's allocator is jemalloc (CMakeLists.txt): it keeps freed memory for a while (its
  // decay), so the planners' large tables, freed and allocated again every round, are not faulted
  // in again each time, which with glibc's defaults took half a PACT run's time.

  // SimGrid's own options pass through untouched; CLI11 sees the rest.
  edgetrain::RunArgs run;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (i > 0 && (a.rfind("--cfg=", 0) == 0 || a.rfind("--log=", 0) == 0))
      run.simgrid_args.push_back(a);
    else
      rest.push_back(argv[i]);
  }

  CLI::App app{
      "edgetrain: discrete-event simulation of cooperative DNN training on heterogeneous edge platforms "
      "(SimGrid). SimGrid's --cfg=... and --log=... options pass through."};
  app.set_version_flag("--version", "edgetrain " + edgetrain_version() + ", SimGrid " + simgrid_version());
  app.require_subcommand(1);

  CLI::App* cmd_run = app.add_subcommand("run", "run one scenario");
  cmd_run->add_option("scenario", run.scenario, "scenario TOML file")->required();
  cmd_run->add_option("--set", run.sets, "override a scenario key: key.path=value (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd_run->add_option("--out", run.out, "output folder (default: results/<name>-<policy>-s<seed>)");
  std::int64_t seed = 0;
  CLI::Option* seed_opt = cmd_run->add_option("--seed", seed, "master seed (overrides scenario.seed)");
  cmd_run->add_flag("-v,--verbose", run.verbose, "show edgetrain's and SimGrid's logs");
  cmd_run->add_flag(
      "--no-progress", [&run](std::int64_t) { run.progress = false; }, "no progress line");

  app.add_subcommand("policies", "list the policies, with their parameters")->callback(print_policies);
  std::string validate_platform, validate_scenario;
  CLI::App* cmd_validate = app.add_subcommand(
      "validate", "check a platform (and a scenario) without simulating; exit 2 on any problem");
  cmd_validate->add_option("platform", validate_platform, "SimGrid platform XML file")->required();
  cmd_validate->add_option("scenario", validate_scenario, "scenario TOML file (roles, traces, data)");
  app.add_subcommand("keys", "print every scenario key (Markdown table)")->callback(print_keys);

  CLI::App* cmd_platform = app.add_subcommand("platform", "generate platforms, import availability");
  cmd_platform->require_subcommand(1);
  edgetrain::GenerateArgs gen;
  CLI::App* cmd_gen =
      cmd_platform->add_subcommand("generate", "write a SimGrid platform of N catalog devices");
  cmd_gen->add_option("--nodes", gen.options.nodes, "number of devices (trainers)")->required();
  cmd_gen->add_option("--mix", gen.mix, "device classes and fractions: CLASS:FRACTION,... summing to 1")
      ->required();
  cmd_gen->add_option("--topology", gen.options.topology, "star, cells or edge-cloud")->capture_default_str();
  cmd_gen->add_option("--cells", gen.options.cells, "cells (cells) or edge sites (edge-cloud)")
      ->capture_default_str();
  cmd_gen->add_option("--traces", gen.traces, "availability to generate: speed,churn,diurnal");
  cmd_gen->add_option("--seed", gen.options.seed, "seed")->capture_default_str();
  cmd_gen->add_option("-o,--out", gen.out, "output platform file (traces go beside it, .trace)")->required();
  cmd_gen->add_option("--catalog", gen.catalog, "device catalog (default: the one shipped)");
  cmd_gen->add_option("--horizon", gen.options.horizon_s, "seconds the traces cover before looping")
      ->capture_default_str();
  cmd_gen->add_option("--speed-mean", gen.options.speed_mean, "mean speed fraction left by background load")
      ->capture_default_str();
  cmd_gen
      ->add_option("--speed-changes-per-hour", gen.options.speed_changes_per_h, "background load change rate")
      ->capture_default_str();
  cmd_gen->add_option("--mtbf", gen.options.mtbf_s, "churn: mean seconds online")->capture_default_str();
  cmd_gen->add_option("--mttr", gen.options.mttr_s, "churn: mean seconds offline")->capture_default_str();
  std::string import_csv, import_out;
  CLI::App* cmd_import = cmd_platform->add_subcommand(
      "import-availability", "CSV of client,start_s,end_s intervals to a trace file");
  cmd_import->add_option("csv", import_csv, "CSV file")->required();
  cmd_import->add_option("-o,--out", import_out, "output trace file")->required();

  edgetrain::CalibrateArgs cal;
  CLI::App* cmd_cal = app.add_subcommand(
      "calibrate", "fit the surrogate learning process to runs of the trained one; write its parameters");
  cmd_cal
      ->add_option("scenario", cal.scenario, "scenario TOML file (model, data set, local steps, batch, seed)")
      ->required();
  cmd_cal->add_option("-o,--out", cal.out, "calibration TOML file to write (the runs' traces go beside it)")
      ->required();
  cmd_cal
      ->add_option("--from-traces", cal.from_traces,
                   "refit the traces CSV of an earlier calibration, without training (repeatable: the designs' "
                   "runs are merged in turn, and the merged traces written beside the output)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd_cal
      ->add_option("--fidelity", cal.fidelity,
                   "an edgetrain fidelity folder measured on this fit's parameters: its figures go in the header "
                   "(repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd_cal
      ->add_option("--layer-speeds", cal.layer_speeds,
                   "fit the per-layer weights (learning.surrogate.layer_weights) to a DSE cache of trained short "
                   "runs (edgetrain dse --source trained writes it beside its table)")
      ->check(CLI::ExistingFile);
  cmd_cal->add_option("--layer-scenario", cal.layer_scenario,
                      "the scenario the --layer-speeds runs were made of (default: the calibration's)")
      ->check(CLI::ExistingFile);
  cmd_cal->add_option("--set", cal.sets, "override a scenario key: key.path=value (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd_cal->add_option("--runs", cal.options.runs, "design points")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000));
  cmd_cal->add_option("--rounds", cal.options.rounds, "rounds per run")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000));
  cmd_cal->add_option("--nodes", cal.options.nodes, "trainers per run")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd_cal->add_option("--folds", cal.options.folds,
                      "cross-validation folds (run i in fold i mod k): each run's held-out error comes from the fit "
                      "on the other folds")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000));
  cmd_cal->add_option("-j,--jobs", cal.options.jobs, "runs trained at once (0: one per hardware thread)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd_cal->add_option("--long-every", cal.options.long_every,
                      "every k-th run goes --long-factor times as many rounds (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  cmd_cal->add_option("--long-factor", cal.options.long_factor, "how many times --rounds a long run goes")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd_cal
      ->add_option("--eval-samples", cal.options.eval_samples,
                   "samples the loss and accuracy are measured on")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
  edgetrain::DseArgs dse;
  CLI::App* cmd_dse = app.add_subcommand(
      "dse", "DISTREAL's design-space exploration: Pareto-optimal per-layer dropout vectors (NSGA-II)");
  cmd_dse
      ->add_option("scenario", dse.scenario, "scenario TOML file (model, data set, local steps, batch, seed)")
      ->required();
  cmd_dse->add_option("-o,--out", dse.out, "Pareto table (CSV) to write")->required();
  cmd_dse->add_option("--set", dse.sets, "override a scenario key: key.path=value (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd_dse->add_option("--source", dse.options.source, "convergence speed from: predictor or trained")
      ->capture_default_str();
  cmd_dse
      ->add_option("--predictor", dse.predictor,
                   "predictor source: loss predictor file (edgetrain calibrate), or auto: the one shipped in "
                   "configs/predictors/ for the model and data set")
      ->capture_default_str();
  cmd_dse->add_option("--grid", dse.grid, "keep fractions a layer may take")
      ->delimiter(',')
      ->capture_default_str();
  cmd_dse->add_option("--population", dse.options.population, "NSGA-II population (a multiple of 4)")
      ->capture_default_str();
  cmd_dse->add_option("--generations", dse.options.generations, "NSGA-II generations")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd_dse->add_option("--rounds", dse.options.rounds, "trained source: rounds of each short run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd_dse->add_option("--nodes", dse.options.nodes, "trained source: trainers of each short run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd_dse
      ->add_option("--seeds", dse.options.seeds,
                   "trained source: short runs per vector, seeds scenario.seed, +1, ... (their 95% interval "
                   "is in the table)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  edgetrain::CampaignArgs camp;
  CLI::App* cmd_camp = app.add_subcommand(
      "campaign", "run every scenario of a campaign (axes x seeds), resumable; merge the results");
  cmd_camp->add_option("campaign", camp.campaign, "campaign TOML file")->required();
  cmd_camp->add_option("-o,--out", camp.out, "campaign folder (re-running resumes it)")->required();
  cmd_camp->add_option("-j,--jobs", camp.jobs, "runs at once (local, parallel per host; slurm: array limit)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd_camp->add_option("--backend", camp.backend, "local, slurm (a job array) or parallel (GNU parallel)")
      ->capture_default_str();
  cmd_camp->add_flag("--dry-run", camp.dry_run, "print what would run (and the sbatch script); run nothing");
  cmd_camp->add_flag("--merge-only", camp.merge_only, "only merge the runs already complete");
  cmd_camp->add_option("--sshlogin", camp.sshlogin, "parallel: a GNU parallel --sshlogin entry (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd_camp
      ->add_option("--sbatch", camp.sbatch,
                   "slurm: an extra sbatch option, e.g. --partition=debug (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd_camp->add_flag("!--no-progress", camp.progress, "no progress bar");
  for (int i = 0; i < argc; ++i)
    camp.argv.emplace_back(argv[i]);
  edgetrain::FidelityArgs fid;
  CLI::App* cmd_fid = app.add_subcommand(
      "fidelity", "a campaign's runs under the trained and a fast learning process: how far the fast "
                  "process's rankings and figures are from training's");
  cmd_fid->add_option("campaign", fid.campaign, "campaign TOML file")->required();
  cmd_fid->add_option("-o,--out", fid.out, "folder (re-running resumes it)")->required();
  cmd_fid->add_option("-j,--jobs", fid.jobs, "runs at once")->capture_default_str()->check(CLI::Range(1, 4096));
  cmd_fid->add_option("--sample", fid.sample,
                      "about this many runs, drawn as whole groups and seeds (every policy kept); 0: all")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  cmd_fid->add_option("--sample-seed", fid.sample_seed, "seed of the sample's draw")->capture_default_str();
  cmd_fid->add_option("--fast", fid.fast,
                      "the fast learning process (default: the campaign's learning.process, else surrogate)");
  cmd_fid->add_flag("--merge-only", fid.merge_only, "only measure the runs already complete");
  cmd_fid->add_flag("!--no-progress", fid.progress, "no progress bar");
  for (int i = 0; i < argc; ++i)
    fid.argv.emplace_back(argv[i]);
  std::string report_dir;
  CLI::App* cmd_report = app.add_subcommand(
      "report", "figures (PNG, SVG) and report.md of a campaign folder, with python3-matplotlib");
  cmd_report->add_option("dir", report_dir, "campaign folder (from edgetrain campaign)")->required();
  for (int i = 0; i < argc; ++i)
    cal.command_line += (i ? " " : "") + std::string(i ? argv[i] : "edgetrain");

  edgetrain::check_numbers(app);
  int sub_argc = static_cast<int>(rest.size());
  try {
    app.parse(sub_argc, rest.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e); // --help, --version
    // The same form as every other refusal, and where to look.
    std::string sub;
    for (const CLI::App* at = &app; !at->get_subcommands().empty();) {
      at = at->get_subcommands().front();
      sub += " " + at->get_name();
    }
    if (sub.empty() && sub_argc > 1 && rest[1][0] != '-') { // a command that does not exist
      std::vector<std::string> names;
      for (const CLI::App* s : app.get_subcommands({}))
        names.push_back(s->get_name());
      const std::string hint = edgetrain::nearest(rest[1], names);
      fmt::print(stderr, "error: command line: '{}' is not a command{} (commands: {})\n", rest[1],
                 hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), edgetrain::join(names));
      return 2;
    }
    fmt::print(stderr, "error: command line: {}\n(edgetrain{} --help lists the options)\n", e.what(), sub);
    return 2;
  }
  if (cmd_gen->parsed()) return edgetrain::generate_command(gen);
  if (cmd_import->parsed()) return edgetrain::import_availability_command(import_csv, import_out);
  if (cmd_cal->parsed()) return edgetrain::calibrate_command(cal);
  if (cmd_dse->parsed()) return edgetrain::dse_command(dse);
  if (cmd_camp->parsed()) return edgetrain::campaign_command(camp);
  if (cmd_fid->parsed()) return edgetrain::fidelity_command(fid);
  if (cmd_report->parsed()) return edgetrain::report_command(report_dir);
  if (cmd_validate->parsed()) return edgetrain::validate_command(validate_platform, validate_scenario);
  if (cmd_run->parsed()) {
    if (seed_opt->count()) run.seed = seed;
    return edgetrain::run_command(run);
  }
  return 0;
}
