// The --seeds summary: means over seeds, the excess over the Bayes predictor
// on each seed's own test set, and paired differences between activations,
// checked against values computed by hand from per-seed summaries.
#include <attnlab/framework/analysis/seed_summary.hpp>
#include <attnlab/framework/common/errors.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace {

const std::string kHeader =
    "activation,final_test_mse,bayes_risk,bayes_risk_stderr,excess_risk,status,stopped_step,wall_seconds,"
    "bayes_test_mse,test_set_excess,reason\n";

std::string row(const std::string& id, double test_mse, double bayes_test, bool ok = true) {
  return id + "," + std::to_string(test_mse) + ",0.48,0.001,0," + (ok ? "ok" : "stopped") + ",0,1.0," +
         std::to_string(bayes_test) + ",0,\"a reason, with a comma\"\n";
}

}  // namespace

TEST_CASE("paired differences cancel the seed's own luck", "[seeds]") {
  // A large seed effect shared by both activations: the unpaired standard
  // errors are about 0.06, the per-seed differences 0.05, 0.04, 0.06.
  const std::vector<double> a = {0.60, 0.70, 0.80};
  const std::vector<double> b = {0.55, 0.66, 0.74};
  const std::vector<double> bayes_test = {0.47, 0.49, 0.48};
  std::vector<std::string> csvs;
  for (std::size_t s = 0; s < 3; ++s)
    csvs.push_back(kHeader + row("a", a[s], bayes_test[s]) + row("b", b[s], bayes_test[s]));
  const attnlab::SeedSummary summary = attnlab::summarize_seeds(csvs, {"s1", "s2", "s3"});

  REQUIRE(summary.paired.size() == 1);
  const auto& pair = summary.paired.front();
  CHECK(pair.first == "a");
  CHECK(pair.second == "b");
  CHECK(pair.difference.count == 3);
  CHECK(pair.difference.mean == Approx(0.05).margin(1e-12));
  CHECK(pair.difference.standard_error == Approx(0.01 / std::sqrt(3.0)).epsilon(1e-9));
  CHECK(summary.rows[0].test_mse.standard_error > 5 * pair.difference.standard_error);

  // Excess over the Bayes predictor on the same test set, seed by seed.
  CHECK(summary.bayes_test_error.mean == Approx(0.48).margin(1e-12));
  CHECK(summary.rows[1].test_set_excess.mean == Approx((0.08 + 0.17 + 0.26) / 3).margin(1e-12));

  const std::string table = attnlab::seed_summary_table(summary);
  CHECK(table.find("a - b") != std::string::npos);
  CHECK(table.find("+0.0500 ± 0.0058") != std::string::npos);
  CHECK(table.find("vs Bayes") != std::string::npos);
  CHECK(attnlab::paired_differences_csv(summary).find("a,b,3,0.05") != std::string::npos);
}

TEST_CASE("a seed where one activation stopped is left out of its pairs only", "[seeds]") {
  std::vector<std::string> csvs = {kHeader + row("a", 0.6, 0.5) + row("b", 0.5, 0.5) + row("c", 0.7, 0.5),
                                   kHeader + row("a", 0.9, 0.5, false) + row("b", 0.6, 0.5) + row("c", 0.9, 0.5),
                                   kHeader + row("a", 0.8, 0.5) + row("b", 0.7, 0.5) + row("c", 0.8, 0.5)};
  const attnlab::SeedSummary summary = attnlab::summarize_seeds(csvs, {"s1", "s2", "s3"});
  REQUIRE(summary.paired.size() == 3);  // a-b, a-c, b-c
  CHECK(summary.rows[0].stopped == 1);
  CHECK(summary.paired[0].difference.count == 2);  // a - b: seeds 1 and 3
  CHECK(summary.paired[0].difference.mean == Approx(0.1).margin(1e-12));
  CHECK(summary.paired[2].difference.count == 3);  // b - c: every seed
  CHECK(summary.paired[2].difference.mean == Approx(-0.2).margin(1e-12));
}

TEST_CASE("summaries written before the Bayes test error still read", "[seeds]") {
  const std::string old_header =
      "activation,final_test_mse,bayes_risk,bayes_risk_stderr,excess_risk,status,stopped_step,wall_seconds,reason\n";
  const std::vector<std::string> csvs = {old_header + "a,0.6,0.48,0.001,0.12,ok,0,1.0,\"\"\n",
                                         old_header + "a,0.7,0.48,0.001,0.22,ok,0,1.0,\"\"\n"};
  const attnlab::SeedSummary summary = attnlab::summarize_seeds(csvs, {"s1", "s2"});
  CHECK(summary.rows[0].test_mse.mean == Approx(0.65).margin(1e-12));
  CHECK(summary.bayes_test_error.count == 0);
  CHECK(attnlab::seed_summary_table(summary).find("vs Bayes") == std::string::npos);
  CHECK_THROWS_AS(attnlab::summarize_seeds({"activation,x\na,1\n"}, {"broken.csv"}), attnlab::UsageError);
}
