// The sweep's figures built from a collected final.csv, without gnuplot:
// per key value and activation, the mean and standard error over the seeds;
// numbers in value order, lists at positions 1..n; one series per
// combination of the other keys; the Bayes risk dashed.
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/sweeps/sweep_figures.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {

using attnlab::FigureSeries;
using Catch::Matchers::Contains;

const std::string kHead =
    "cell,data.D,seed,activation,final_test_mse,bayes_risk,excess_risk,bayes_test_mse,test_set_excess,status,"
    "stopped_step\n";

std::string row(const std::string& d, int seed, const std::string& activation, const std::string& mse,
                const std::string& bayes) {
  return "h," + d + "," + std::to_string(seed) + "," + activation + "," + mse + "," + bayes + ",,,,ok,0\n";
}

const FigureSeries& series_named(const attnlab::Figure& figure, const std::string& label) {
  for (const auto& series : figure.series)
    if (series.label == label) return series;
  FAIL("no series '" << label << "'");
  return figure.series.front();
}

}  // namespace

TEST_CASE("a sweep figure's points are the mean and standard error over the seeds", "[sweeps]") {
  // data.D = 8 comes first in the table but sits right of 4 on the axis.
  const std::string csv = kHead + row("8", 1, "softmax", "2.0", "0.75") + row("8", 2, "softmax", "2.4", "0.75") +
                          row("8", 1, "softmax1", "3.0", "0.75") + row("8", 2, "softmax1", "", "0.75") +
                          row("4", 1, "softmax", "1.0", "0.5") + row("4", 2, "softmax", "1.2", "0.5") +
                          row("4", 1, "softmax1", "1.5", "0.5") + row("4", 2, "softmax1", "1.9", "0.5");
  const auto figures = attnlab::sweep_figures({"data.D"}, csv);
  REQUIRE(figures.size() == 1);
  const auto& figure = figures[0];
  CHECK(figure.stem == "final_test_mse_vs_data_D");
  CHECK(figure.numeric);
  CHECK(figure.values == std::vector<std::string>{"4", "8"});
  CHECK(figure.figure.x_label == "data.D");
  REQUIRE(figure.figure.series.size() == 3);

  const auto& softmax = series_named(figure.figure, "softmax");
  CHECK(softmax.x == std::vector<double>{4.0, 8.0});
  REQUIRE(softmax.y.size() == 2);
  CHECK(softmax.y[0] == Approx(1.1));
  CHECK(softmax.y[1] == Approx(2.2));
  REQUIRE(softmax.error.size() == 2);
  CHECK(softmax.error[0] == Approx(0.1));  // sample std 0.1414 / sqrt(2)
  CHECK(softmax.error[1] == Approx(0.2));

  // A seed without a final test MSE (diverged) is left out, not counted as 0.
  const auto& softmax1 = series_named(figure.figure, "softmax1");
  CHECK(softmax1.y[0] == Approx(1.7));
  CHECK(softmax1.error[0] == Approx(0.2));
  CHECK(softmax1.y[1] == Approx(3.0));
  CHECK(softmax1.error[1] == Approx(0.0));

  const auto& bayes = series_named(figure.figure, "Bayes risk");
  CHECK(bayes.style == FigureSeries::Style::Dashed);
  CHECK(bayes.x == std::vector<double>{4.0, 8.0});
  CHECK(bayes.y[0] == Approx(0.5));
  CHECK(bayes.y[1] == Approx(0.75));
  CHECK(bayes.error.empty());
}

TEST_CASE("list-valued keys sit at positions 1..n and other keys split the series", "[sweeps]") {
  const std::string head =
      "cell,data.D,data.mean,seed,activation,final_test_mse,bayes_risk,excess_risk,bayes_test_mse,"
      "test_set_excess,status,stopped_step\n";
  const auto line = [](const std::string& d, const std::string& mean, const std::string& mse) {
    // data.D leaves the Bayes risk alone here, but data.mean changes it.
    const std::string bayes = mean == "[0, 0, 0]" ? "0.25" : "0.5";
    return "h," + d + ",\"" + mean + "\",1,softmax," + mse + "," + bayes + ",,,,ok,0\n";
  };
  const std::string csv = head + line("4", "[1.5, 0, 0]", "1.0") + line("4", "[0, 0, 0]", "2.0") +
                          line("8", "[1.5, 0, 0]", "3.0") + line("8", "[0, 0, 0]", "4.0");
  const auto figures = attnlab::sweep_figures({"data.D", "data.mean"}, csv);
  REQUIRE(figures.size() == 2);

  const auto& by_mean = figures[1];
  CHECK(by_mean.stem == "final_test_mse_vs_data_mean");
  CHECK_FALSE(by_mean.numeric);
  CHECK(by_mean.values == std::vector<std::string>{"[1.5, 0, 0]", "[0, 0, 0]"});
  CHECK_THAT(by_mean.figure.title, Contains("1 = [1.5, 0, 0]") && Contains("2 = [0, 0, 0]"));
  // Two values of data.D: two series, and one Bayes risk curve, the same for both.
  REQUIRE(by_mean.figure.series.size() == 3);
  CHECK(series_named(by_mean.figure, "Bayes risk").y == std::vector<double>{0.5, 0.25});
  const auto& at_8 = series_named(by_mean.figure, "softmax (data.D=8)");
  CHECK(at_8.x == std::vector<double>{1.0, 2.0});
  CHECK(at_8.y == std::vector<double>{3.0, 4.0});

  const auto& by_d = figures[0];
  CHECK(by_d.numeric);
  const auto& at_zero = series_named(by_d.figure, "softmax (data.mean=[0, 0, 0])");
  CHECK(at_zero.x == std::vector<double>{4.0, 8.0});
  CHECK(at_zero.y == std::vector<double>{2.0, 4.0});
  // Along data.D the Bayes risk differs per data.mean: one curve each.
  CHECK(series_named(by_d.figure, "Bayes risk (data.mean=[0, 0, 0])").y == std::vector<double>{0.25, 0.25});
  CHECK(by_d.figure.series.size() == 4);

  const std::string md = attnlab::sweep_figures_markdown(figures);
  CHECK_THAT(md, Contains("[final_test_mse_vs_data_D.png](final_test_mse_vs_data_D.png)"));
  CHECK_THAT(md, Contains("final_test_mse_vs_data_mean.svg"));
  CHECK_THAT(md, Contains("`[1.5, 0, 0]` `[0, 0, 0]`"));
}

TEST_CASE("a sweep without finished cells has no figures; a table without the columns is refused", "[sweeps]") {
  CHECK(attnlab::sweep_figures({"data.D"}, kHead).empty());
  CHECK(attnlab::sweep_figures_markdown({}).empty());
  CHECK_THROWS_AS(attnlab::sweep_figures({"data.N"}, kHead + row("4", 1, "softmax", "1.0", "0.5")),
                  attnlab::UsageError);
}
