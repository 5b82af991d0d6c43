#include "data/importer.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "hex/synthetic.h"
#include "util/error.h"
#include "util/file.h"

namespace hextorch::data {
namespace {

constexpr size_t kInvalidKept = 20;

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Expands directories into their regular files, in name order.
std::vector<std::string> expandInputs(const std::vector<std::string>& inputs) {
  if (inputs.empty()) throw Error(ErrorCode::InvalidArgument, "no input files given");
  std::vector<std::string> files;
  for (const auto& input : inputs) {
    if (!pathExists(input)) throw Error(ErrorCode::Io, "input " + input + " does not exist");
    if (!isDirectory(input)) {
      files.push_back(input);
      continue;
    }
    DIR* dir = ::opendir(input.c_str());
    if (!dir) throwIoError("cannot list directory", input);
    std::vector<std::string> inside;
    while (dirent* entry = ::readdir(dir)) {
      std::string path = joinPath(input, entry->d_name);
      if (entry->d_name[0] != '.' && !isDirectory(path)) inside.push_back(path);
    }
    ::closedir(dir);
    if (inside.empty()) throw Error(ErrorCode::InvalidArgument, "directory " + input + " holds no record files");
    std::sort(inside.begin(), inside.end());
    files.insert(files.end(), inside.begin(), inside.end());
  }
  return files;
}

std::string gameKey(const hex::Game& game) {
  std::string key(1, static_cast<char>(game.size));
  key.append(reinterpret_cast<const char*>(game.moves.data()), game.moves.size() * sizeof(uint16_t));
  return key;
}

// Base names of the input files: the manifest names where the data came from without
// tying the dataset to this machine's directories (datasets are moved and shared).
nlohmann::json sourceNames(const std::vector<std::string>& files) {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& f : files) names.push_back(baseName(f));
  return names;
}

}  // namespace

ImportSummary importRecords(const ImportOptions& options, const ImportProgress& progress) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> files = expandInputs(options.inputs);
  // Fail on an unusable output directory before reading anything.
  prepareOutputDirectory(options.build.outDir);
  if (options.boardSize != 0) hex::checkSize(options.boardSize, "board size");

  uint64_t totalBytes = 0, bytesDone = 0;
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0) totalBytes += static_cast<uint64_t>(st.st_size);
  }

  ImportSummary summary;
  int size = options.boardSize != 0 ? options.boardSize : (options.format == hex::RecordFormat::Moves ? 13 : 0);
  std::vector<hex::Game> games;
  std::unordered_set<std::string> seen;
  uint64_t invalidCount = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throwIoError("cannot open", file);
    std::string line;
    uint64_t lineNumber = 0, recordsInFile = 0;
    while (std::getline(in, line)) {
      ++lineNumber;
      bytesDone += line.size() + 1;
      if (progress && (lineNumber & 4095) == 0) progress(bytesDone, totalBytes);
      hex::LineResult result = hex::parseRecordLine(options.format, line, size);
      if (result.kind == hex::LineResult::Skip) continue;
      ++recordsInFile;
      ++summary.recordsRead;
      if (result.kind == hex::LineResult::Invalid) {
        ++invalidCount;
        summary.skippedByReason[result.reasonKind] += 1;
        if (summary.invalid.size() < kInvalidKept) summary.invalid.push_back({file, lineNumber, result.reasonKind, result.reason});
        continue;
      }
      if (size == 0) size = result.game.size;
      if (!options.keepDuplicates && !seen.insert(gameKey(result.game)).second) {
        ++summary.duplicates;
        continue;
      }
      games.push_back(std::move(result.game));
    }
    if (in.bad()) throwIoError("cannot read", file);
    if (recordsInFile == 0) {
      throw Error(ErrorCode::InvalidArgument, "file " + file + (lineNumber == 0 ? " is empty" : " holds no game records"));
    }
  }
  if (progress) progress(totalBytes, totalBytes);

  if (invalidCount > 0 && options.onInvalid == OnInvalid::Fail) {
    std::string message = std::to_string(invalidCount) + " invalid record" + (invalidCount > 1 ? "s" : "") +
                          "; nothing was written (use --on-invalid skip to import the rest):";
    for (const auto& bad : summary.invalid) {
      message += "\n  " + bad.file + ":" + std::to_string(bad.line) + ": " + bad.reason;
    }
    if (invalidCount > summary.invalid.size()) message += "\n  ...";
    throw Error(ErrorCode::InvalidRecord, message);
  }
  if (games.empty()) throw Error(ErrorCode::InvalidArgument, "no valid games in the input; nothing was written");

  summary.gamesImported = games.size();
  summary.boardSize = size;
  nlohmann::json source = {{"kind", "import"},
                           {"format", options.format == hex::RecordFormat::Trmph ? "trmph" : "moves"},
                           {"files", sourceNames(files)},
                           {"recordsRead", summary.recordsRead},
                           {"duplicatesDropped", summary.duplicates},
                           {"skippedByReason", summary.skippedByReason}};
  summary.build = writeDataset(games, size, options.build, source);
  summary.seconds = secondsSince(start);
  return summary;
}

GenerateSummary generateDataset(const GenerateOptions& options) {
  auto start = std::chrono::steady_clock::now();
  hex::checkSize(options.boardSize, "board size");
  if (options.games == 0) throw Error(ErrorCode::InvalidArgument, "the number of games must be at least 1");
  prepareOutputDirectory(options.build.outDir);
  std::vector<hex::Game> games;
  games.reserve(options.games);
  for (uint64_t i = 0; i < options.games; ++i) games.push_back(hex::playSyntheticGame(options.boardSize, options.seed, i));
  nlohmann::json source = {{"kind", "synthetic"}, {"games", options.games}, {"seed", options.seed}};
  GenerateSummary summary;
  summary.boardSize = options.boardSize;
  summary.build = writeDataset(games, options.boardSize, options.build, source);
  summary.seconds = secondsSince(start);
  return summary;
}

}  // namespace hextorch::data
