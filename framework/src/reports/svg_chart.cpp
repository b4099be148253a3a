#include <attnlab/framework/reports/svg_chart.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnlab {
namespace {

constexpr double kWidth = 760;
constexpr double kHeight = 460;
constexpr double kLeft = 80;
constexpr double kRight = 200;  // room for the legend
constexpr double kTop = 40;
constexpr double kBottom = 60;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                               "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

std::string escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

struct Axis {
  double low = 0.0;
  double high = 1.0;
  bool log = false;
  double transform(double v) const { return log ? std::log10(v) : v; }
};

// "Nice" tick values covering [low, high] in transformed units.
std::vector<double> ticks(const Axis& axis) {
  std::vector<double> result;
  if (axis.log) {
    for (double e = std::ceil(axis.low); e <= axis.high + 1e-9; e += 1.0) result.push_back(e);
    return result;
  }
  const double span = axis.high - axis.low;
  const double raw = span / 5.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= factor * magnitude) {
      step = factor * magnitude;
      break;
    }
  }
  for (double v = std::ceil(axis.low / step) * step; v <= axis.high + 1e-9 * span; v += step) result.push_back(v);
  return result;
}

std::string tick_label(const Axis& axis, double v) {
  if (axis.log) return fmt::format("{:g}", std::pow(10.0, v));
  return fmt::format("{:.3g}", std::fabs(v) < 1e-12 ? 0.0 : v);
}

}  // namespace

std::string line_chart_svg(const ChartOptions& options, const std::vector<ChartSeries>& series) {
  Axis x{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), options.log_x};
  Axis y{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), options.log_y};
  const auto usable = [&](double px, double py) {
    return std::isfinite(px) && std::isfinite(py) && (!x.log || px > 0) && (!y.log || py > 0);
  };
  for (const auto& s : series) {
    for (const auto& [px, py] : s.points) {
      if (!usable(px, py)) continue;
      x.low = std::min(x.low, x.transform(px));
      x.high = std::max(x.high, x.transform(px));
      y.low = std::min(y.low, y.transform(py));
      y.high = std::max(y.high, y.transform(py));
    }
  }
  if (!(x.low <= x.high)) x = {0.0, 1.0, x.log};
  if (!(y.low <= y.high)) y = {0.0, 1.0, y.log};
  if (x.high - x.low < 1e-12) x.high = x.low + 1.0;
  if (y.high - y.low < 1e-12) y.high = y.low + 1.0;
  const double pad = 0.05 * (y.high - y.low);
  y.low -= pad;
  y.high += pad;

  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  const auto sx = [&](double v) { return kLeft + (x.transform(v) - x.low) / (x.high - x.low) * plot_w; };
  const auto sy = [&](double v) { return kTop + plot_h - (y.transform(v) - y.low) / (y.high - y.low) * plot_h; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      kWidth, kHeight);
  svg += fmt::format("<text x=\"{}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n", kLeft + plot_w / 2,
                     escape(options.title));
  for (const double t : ticks(x)) {
    const double px = kLeft + (t - x.low) / (x.high - x.low) * plot_w;
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>\n", px, kTop,
                       kTop + plot_h);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", px, kTop + plot_h + 16,
                       tick_label(x, t));
  }
  for (const double t : ticks(y)) {
    const double py = kTop + plot_h - (t - y.low) / (y.high - y.low) * plot_h;
    svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", kLeft, py,
                       kLeft + plot_w, py);
    svg +=
        fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", kLeft - 6, py + 4, tick_label(y, t));
  }
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", kLeft,
                     kTop, plot_w, plot_h);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", kLeft + plot_w / 2, kHeight - 18,
                     escape(options.x_label));
  svg += fmt::format("<text transform=\"translate(18 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                     kTop + plot_h / 2, escape(options.y_label));

  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const char* color = kColors[i % std::size(kColors)];
    std::string points;
    for (const auto& [px, py] : s.points) {
      if (usable(px, py)) points += fmt::format("{:.1f},{:.1f} ", sx(px), sy(py));
    }
    svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{} points=\"{}\"/>\n", color,
                       s.dashed ? " stroke-dasharray=\"6 4\"" : "", points);
    const double ly = kTop + 10 + 18.0 * static_cast<double>(i);
    svg +=
        fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\"{4}/>\n",
                    kLeft + plot_w + 12, ly, kLeft + plot_w + 36, color, s.dashed ? " stroke-dasharray=\"6 4\"" : "");
    svg += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", kLeft + plot_w + 42, ly + 4, escape(s.name));
  }
  return svg + "</svg>\n";
}

}  // namespace attnlab
