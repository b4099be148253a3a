// The printed summary table: one aligned row per activation, whatever the
// length of the ids or the size of a diverged model's error.
#include <attnlab/framework/results/comparison_report.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <sstream>
#include <vector>

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("the summary table stays aligned for long ids and huge or infinite errors", "[report]") {
  std::vector<attnlab::FinalResult> results(4);
  results[0].activation = "softmax";
  results[0].test_mse = 0.64151;
  results[1].activation = "normalized-softplus-long-id";
  results[1].test_mse = 0.5;
  results[2].activation = "diverging";
  results[2].test_mse = 3.2e240;
  results[3].activation = "overflowed";
  results[3].test_mse = std::numeric_limits<double>::infinity();
  const std::vector<attnlab::ModelStatus> statuses(4);
  const attnlab::BayesRiskEstimate bayes{0.4778, 0.0011, 100000};

  const auto lines = lines_of(attnlab::summary_table(results, statuses, bayes));
  REQUIRE(lines.size() == 6);  // header, four rows, Bayes risk line
  // The test-MSE column ends at the same place on the header and every row.
  const std::size_t column_end = lines[0].find("test MSE") + std::string("test MSE").size();
  CHECK(lines[1].substr(column_end - 6, 6) == "0.6415");
  CHECK(lines[2].substr(column_end - 6, 6) == "0.5000");
  CHECK(lines[3].substr(column_end - 10, 10) == "3.200e+240");
  CHECK(lines[4].substr(column_end - 3, 3) == "inf");
  for (std::size_t row = 1; row <= 4; ++row) {
    CHECK(lines[row].size() > column_end);
    CHECK(lines[row][column_end] == ' ');
  }
}
