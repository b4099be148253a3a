// What a run will take before it takes it: memory for its largest buffers
// and disk for its metrics, so that an impossible run is refused at once,
// naming the config keys responsible, instead of dying in an allocation
// minutes later (or filling the disk).
#pragma once

#include <attnlab/framework/training/compare_config.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace attnlab {

struct FootprintTerm {
  std::string what;  // e.g. "the test set (eval.test_size = 4096 x L = 8 x data.D = 100 numbers)"
  double bytes = 0.0;
};

// The memory of a comparison's largest buffers (test set, batch ring, each
// model's parameters, optimizer state and work buffers), for a data model
// of dimension D and sequence length L.
std::vector<FootprintTerm> comparison_memory(const CompareConfig& config, std::uint32_t dimension,
                                             std::uint32_t length);

// Bytes of metrics.jsonl a comparison writes (an estimate from the record
// layout: overlaps, usage, biases and, up to eval.max_gram_heads, Grams).
double comparison_metrics_bytes(const CompareConfig& config, std::uint32_t features);

// Memory the system can give now (MemAvailable), in bytes; 0 if unknown.
double available_memory_bytes();

// Throws UsageError when the terms add up to more than the memory available,
// naming the total, the limit and the largest term.
void require_memory(const std::vector<FootprintTerm>& terms);

// Throws UsageError when `bytes` more would not fit on the disk holding
// `folder` (or its nearest existing parent).
void require_disk(const std::filesystem::path& folder, double bytes, const std::string& what);

// "2.6 TB", "512 MB", ...
std::string format_bytes(double bytes);

}  // namespace attnlab
