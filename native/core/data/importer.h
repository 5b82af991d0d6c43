// `hextorch import` and `hextorch generate`: game records or synthetic games in, a
// dataset directory out. Nothing is written unless every step before it succeeded.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "data/dataset_builder.h"
#include "hex/records.h"

namespace hextorch::data {

enum class OnInvalid { Fail, Skip };

struct ImportOptions {
  hex::RecordFormat format = hex::RecordFormat::Moves;
  std::vector<std::string> inputs;  // files, or directories whose files are read in name order
  int boardSize = 0;                // 0: from the records (trmph) or 13 (move lists)
  OnInvalid onInvalid = OnInvalid::Fail;
  bool keepDuplicates = false;
  bool onlyResignOrConnection = false;  // SGF: skip games the site adjudicated
  BuildOptions build;
};

struct InvalidRecord {
  std::string file;
  uint64_t line = 0;
  std::string kind;
  std::string reason;
};

struct ImportSummary {
  uint64_t recordsRead = 0;  // game lines seen, valid or not
  uint64_t gamesImported = 0;
  uint64_t duplicates = 0;
  std::map<std::string, uint64_t> skippedByReason;
  std::vector<InvalidRecord> invalid;  // the first few, for the report
  BuildSummary build;
  int boardSize = 0;
  double seconds = 0;
};

// Progress: (bytes read, total bytes) while parsing.
using ImportProgress = std::function<void(uint64_t, uint64_t)>;

ImportSummary importRecords(const ImportOptions& options, const ImportProgress& progress = {});

struct GenerateOptions {
  uint64_t games = 1000;
  int boardSize = 13;
  uint64_t seed = 1;
  BuildOptions build;
};

struct GenerateSummary {
  BuildSummary build;
  int boardSize = 0;
  double seconds = 0;
};

GenerateSummary generateDataset(const GenerateOptions& options);

}  // namespace hextorch::data
