#include <attnlab/framework/errors.hpp>
#include <attnlab/framework/results_folder.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace attnlab {

ResultsFolder::ResultsFolder(std::filesystem::path path, ExistingFolderPolicy policy)
    : path_(std::move(path)), policy_(policy) {
  std::error_code error;
  const bool exists = std::filesystem::exists(path_, error);
  const bool empty = exists && std::filesystem::is_directory(path_, error) && std::filesystem::is_empty(path_, error);
  if (exists && !std::filesystem::is_directory(path_, error)) {
    throw UsageError("results folder '" + path_.string() + "' exists and is not a folder");
  }
  switch (policy) {
    case ExistingFolderPolicy::Refuse:
      if (exists && !empty) {
        throw UsageError("results folder '" + path_.string() +
                         "' already exists; use --resume to continue it or --force to replace it");
      }
      break;
    case ExistingFolderPolicy::Resume:
      if (!exists || !std::filesystem::exists(path_ / "config.toml")) {
        throw UsageError("cannot resume: '" + path_.string() + "' holds no earlier run (no config.toml)");
      }
      resuming_ = true;
      break;
    case ExistingFolderPolicy::Force:
      break;
  }
}

void ResultsFolder::create() const {
  std::error_code error;
  if (policy_ == ExistingFolderPolicy::Force) std::filesystem::remove_all(path_, error);
  std::filesystem::create_directories(path_, error);
  if (error) throw UsageError("cannot create results folder '" + path_.string() + "': " + error.message());
}

std::string ResultsFolder::read(const std::string& name) const {
  std::ifstream in(file(name), std::ios::binary);
  if (!in) throw UsageError("cannot read '" + file(name).string() + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file_atomically(const std::filesystem::path& target, const std::string& content) {
  auto temporary = target;
  // Appended piecewise: GCC 12 warns (-Wrestrict, falsely) on "." + s + ".tmp".
  std::string hidden_name = ".";
  hidden_name += target.filename().string();
  hidden_name += ".tmp";
  temporary.replace_filename(hidden_name);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) throw UsageError("cannot write '" + temporary.string() + "'");
  }
  std::error_code error;
  std::filesystem::rename(temporary, target, error);
  if (error) throw UsageError("cannot replace '" + target.string() + "': " + error.message());
}

void ResultsFolder::write_atomically(const std::string& name, const std::string& content) const {
  write_file_atomically(file(name), content);
}

void ResultsFolder::append(const std::string& name, const std::string& content) const {
  std::ofstream out(file(name), std::ios::binary | std::ios::app);
  out << content;
  out.flush();
  if (!out) throw UsageError("cannot append to '" + file(name).string() + "'");
}

void truncate_metrics(const std::filesystem::path& file, std::uint64_t last_step) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return;
  std::string kept;
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: the write was cut off
    const auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.contains("step")) break;
    if (record["step"].get<std::uint64_t>() > last_step) break;
    kept += line + "\n";
  }
  in.close();
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << kept;
  if (!out) throw UsageError("cannot rewrite '" + file.string() + "'");
}

}  // namespace attnlab
