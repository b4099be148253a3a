// The figures `attnlab compare` draws from metrics.jsonl: each line and each
// heat-map cell shows the values recorded for its activation, head and
// feature (read back through gnuplot), also for models that stopped.
#include "test_support.hpp"

#include "plotted_series.hpp"

#include <attnlab/framework/results/comparison_figures.hpp>

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER  // print points, not {?}
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace fs = std::filesystem;
using Points = std::vector<std::pair<double, double>>;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// (column, row, value text) of each cell of a heat map's data file.
std::vector<std::tuple<int, int, std::string>> cells(const fs::path& data) {
  std::vector<std::tuple<int, int, std::string>> result;
  std::istringstream lines(read_text(data));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') continue;
    std::istringstream fields(line);
    int column = 0, row = 0;
    std::string value;
    fields >> column >> row >> value;
    result.emplace_back(column, row, value);
  }
  return result;
}

// Records as metrics_lines writes them: two heads, two features. `beta`
// diverges (null values) and stops; `gamma` stops before its first
// evaluation.
const std::string kMetrics =
    R"({"activation":"alpha","step":0,"t":0.0,"stopped":false,"train_mse":null,"test_mse":1.0,"key_overlaps":[[0.01,0.02],[0.03,0.04]]}
{"activation":"beta","step":0,"t":0.0,"stopped":false,"train_mse":null,"test_mse":1.1,"key_overlaps":[[0.05,0.06],[0.07,0.08]]}
{"activation":"gamma","step":0,"t":0.0,"stopped":true,"stopped_step":0,"reason":"non-finite output","train_mse":null}
{"activation":"alpha","step":5,"t":2.0,"stopped":false,"train_mse":0.9,"test_mse":0.8,"key_overlaps":[[0.5,-0.1],[0.2,0.3]]}
{"activation":"beta","step":5,"t":2.0,"stopped":false,"train_mse":0.9,"test_mse":0.7,"key_overlaps":[[0.6,-0.2],[0.1,0.4]]}
{"activation":"gamma","step":5,"t":2.0,"stopped":true,"stopped_step":0,"reason":"non-finite output","train_mse":null}
{"activation":"alpha","step":50,"t":20.0,"stopped":false,"train_mse":0.6,"test_mse":0.55,"key_overlaps":[[1.5,-0.25],[0.125,1.75]]}
{"activation":"beta","step":50,"t":20.0,"stopped":false,"train_mse":null,"test_mse":null,"key_overlaps":[[null,1.0],[2.0,3.0]]}
{"activation":"gamma","step":50,"t":20.0,"stopped":true,"stopped_step":0,"reason":"non-finite output","train_mse":null}
{"activation":"alpha","step":500,"t":200.0,"stopped":false,"train_mse":0.5,"test_mse":0.5,"key_overlaps":[[1.25,-0.5],[0.0625,2.5]]}
{"activation":"beta","step":500,"t":200.0,"stopped":true,"stopped_step":60,"reason":"non-finite output","train_mse":null}
{"activation":"gamma","step":500,"t":200.0,"stopped":true,"stopped_step":0,"reason":"non-finite output","train_mse":null}
)";

}  // namespace

TEST_CASE("compare's test error figure draws each activation's recorded test MSE under its name", "[figure]") {
  attnlab::test::TempDir folder;
  attnlab::render_comparison_figures(kMetrics, attnlab::BayesRiskEstimate{.mean = 0.45, .standard_error = 0.01},
                                     folder.path());
  const auto plotted = attnlab::test::plotted_series(folder.path() / "test_error");
  REQUIRE(plotted.size() == 3);
  // t = 0 cannot be shown on the log t axis.
  CHECK(plotted[0].title == "alpha");
  CHECK(plotted[0].points == Points{{2, 0.8}, {20, 0.55}, {200, 0.5}});
  CHECK(plotted[1].title == "beta");
  CHECK(plotted[1].points == Points{{2, 0.7}});
  CHECK(plotted[2].title == "gamma");
  CHECK_FALSE(plotted[2].drawn);
  CHECK(read_text(folder.path() / "test_error.gp").find("0.45 with lines") != std::string::npos);
  for (const char* ext : {".png", ".svg", ".dat", ".gp"})
    CHECK(fs::file_size(folder.path() / ("test_error" + std::string(ext))) > 0);
}

TEST_CASE("compare's overlap figures: one panel per feature, each head under its name in every panel", "[figure]") {
  attnlab::test::TempDir folder;
  attnlab::render_comparison_figures(kMetrics, std::nullopt, folder.path());
  const auto alpha = attnlab::test::plotted_series(folder.path() / "overlaps_alpha");
  const std::vector<attnlab::test::PlottedSeries> expected = {
      {.panel = 0, .title = "head 1", .drawn = true, .points = {{2, 0.5}, {20, 1.5}, {200, 1.25}}},
      {.panel = 0, .title = "head 2", .drawn = true, .points = {{2, 0.2}, {20, 0.125}, {200, 0.0625}}},
      {.panel = 1, .title = "head 1", .drawn = true, .points = {{2, -0.1}, {20, -0.25}, {200, -0.5}}},
      {.panel = 1, .title = "head 2", .drawn = true, .points = {{2, 0.3}, {20, 1.75}, {200, 2.5}}}};
  REQUIRE(alpha.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("series " << i);
    CHECK(alpha[i].panel == expected[i].panel);
    CHECK(alpha[i].title == expected[i].title);
    CHECK(alpha[i].points == expected[i].points);
  }
  // Each head keeps its colour in every panel.
  const std::string script = read_text(folder.path() / "overlaps_alpha.gp");
  const auto count = [&](const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = script.find(part); at != std::string::npos; at = script.find(part, at + 1)) ++n;
    return n;
  };
  CHECK(count("lc rgb '#1f77b4' lw 2 title 'head 1'") == 2);
  CHECK(count("lc rgb '#d62728' lw 2 title 'head 2'") == 2);

  const auto beta = attnlab::test::plotted_series(folder.path() / "overlaps_beta");
  REQUIRE(beta.size() == 4);
  CHECK(beta[0].points == Points{{2, 0.6}});  // head 1, feature 1: null at t = 20
  CHECK(beta[3].points == Points{{2, 0.4}, {20, 3.0}});
  CHECK_FALSE(fs::exists(folder.path() / "overlaps_gamma.png"));
  CHECK_FALSE(fs::exists(folder.path() / "final_overlaps_gamma.png"));
}

TEST_CASE("compare's final overlaps: heads x features at the last point where all are finite", "[figure]") {
  attnlab::test::TempDir folder;
  attnlab::render_comparison_figures(kMetrics, std::nullopt, folder.path());
  using Cell = std::tuple<int, int, std::string>;
  CHECK(cells(folder.path() / "final_overlaps_alpha.dat") ==
        std::vector<Cell>{{1, 1, "1.25"}, {2, 1, "-0.5"}, {1, 2, "0.0625"}, {2, 2, "2.5"}});
  // beta's t = 20 holds a null, and it stopped after: its last finite point is t = 2.
  CHECK(cells(folder.path() / "final_overlaps_beta.dat") ==
        std::vector<Cell>{{1, 1, "0.6"}, {2, 1, "-0.2"}, {1, 2, "0.1"}, {2, 2, "0.4"}});
  const std::string script = read_text(folder.path() / "final_overlaps_beta.gp");
  CHECK(script.find("'beta: final key overlaps (t = 2)'") != std::string::npos);
  CHECK(script.find("set ytics ('head 1' 1, 'head 2' 2)") != std::string::npos);
  CHECK(script.find("set xtics ('feature 1' 1, 'feature 2' 2)") != std::string::npos);
  CHECK(script.find("with labels") != std::string::npos);
  CHECK(fs::file_size(folder.path() / "final_overlaps_beta.png") > 0);
}
