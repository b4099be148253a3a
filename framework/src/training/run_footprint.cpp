#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/training/evaluation.hpp>
#include <attnlab/framework/training/run_footprint.hpp>

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace attnlab {

std::vector<FootprintTerm> comparison_memory(const CompareConfig& config, std::uint32_t dimension,
                                             std::uint32_t length) {
  const double d = dimension;
  const double l = length;
  const double h = config.heads;
  const double models = static_cast<double>(config.activations.size());
  const double max_batch = std::max<double>(config.batch, std::min(config.test_size, kEvaluationChunk));
  std::vector<FootprintTerm> terms;
  terms.push_back({fmt::format("the test set (eval.test_size = {} x L = {} x data.D = {} numbers)", config.test_size,
                               length, dimension),
                   8.0 * config.test_size * l * d});
  terms.push_back({fmt::format("the batch ring (3 x train.batch = {} x L = {} x data.D = {} numbers)", config.batch,
                               length, dimension),
                   8.0 * 3 * config.batch * l * d});
  // Per model: keys and values with their gradient and transpose, up to two
  // optimizer numbers per parameter, and the work buffers of one batch.
  const double parameters = 2.0 * h * d;
  const double work = max_batch * l * (2.0 * 2.0 * h + 4.0 * h);
  terms.push_back({fmt::format("the models ({} activations x model.heads = {} x data.D = {}, and buffers of {} "
                               "samples x L = {})",
                               config.activations.size(), config.heads, dimension, max_batch, length),
                   8.0 * models * (5.0 * parameters + work)});
  return terms;
}

double comparison_metrics_bytes(const CompareConfig& config, std::uint32_t features) {
  const double h = config.heads;
  // About 24 characters per number in JSON, plus the fixed fields.
  double numbers = h * features + 3.0 * h + 8.0;
  if (config.heads <= config.max_gram_heads) numbers += 2.0 * h * h;
  const double records = static_cast<double>(config.activations.size()) * (config.log_points + 1.0);
  return records * (300.0 + 24.0 * numbers);
}

double available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream fields(line.substr(13));
      double kilobytes = 0;
      fields >> kilobytes;
      return kilobytes * 1024.0;
    }
  }
  return 0.0;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
  int unit = 0;
  while (bytes >= 1000.0 && unit < 5) {
    bytes /= 1000.0;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} bytes", bytes) : fmt::format("{:.3g} {}", bytes, units[unit]);
}

void require_memory(const std::vector<FootprintTerm>& terms) {
  double total = 0.0;
  const FootprintTerm* largest = nullptr;
  for (const auto& term : terms) {
    total += term.bytes;
    if (largest == nullptr || term.bytes > largest->bytes) largest = &term;
  }
  const double available = available_memory_bytes();
  if (available <= 0.0 || total <= available || largest == nullptr) return;
  throw UsageError(fmt::format("the run needs about {} of memory, more than the {} available; most of it is {}: {}",
                               format_bytes(total), format_bytes(available), largest->what,
                               format_bytes(largest->bytes)));
}

void require_disk(const std::filesystem::path& folder, double bytes, const std::string& what) {
  std::error_code error;
  std::filesystem::path existing = std::filesystem::absolute(folder, error);
  while (!existing.empty() && !std::filesystem::exists(existing, error) && existing != existing.root_path()) {
    existing = existing.parent_path();
  }
  struct statvfs disk {};
  if (::statvfs(existing.c_str(), &disk) != 0) return;
  const double free_bytes = static_cast<double>(disk.f_bavail) * static_cast<double>(disk.f_frsize);
  if (bytes <= free_bytes) return;
  throw UsageError(fmt::format("{} would take about {}, more than the {} free on the disk of '{}'", what,
                               format_bytes(bytes), format_bytes(free_bytes), existing.string()));
}

}  // namespace attnlab
