#include "data/importer.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "util/random.h"

#include "hex/sgf.h"
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

// Expands directories into their regular files, in name order (for SGF, the .sgf and
// .txt files).
std::vector<std::string> expandInputs(const std::vector<std::string>& inputs, hex::RecordFormat format) {
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
      if (entry->d_name[0] != '.' && hex::isRecordFileName(format, entry->d_name) && !isDirectory(path))
        inside.push_back(path);
    }
    ::closedir(dir);
    if (inside.empty()) throw Error(ErrorCode::InvalidArgument, "directory " + input + " holds no record files");
    std::sort(inside.begin(), inside.end());
    files.insert(files.end(), inside.begin(), inside.end());
  }
  return files;
}

// Exact duplicates are found by a 128-bit digest of (size, moves): 16 bytes per game
// instead of the game itself; a false match needs a 2^-64-scale collision.
struct GameDigest {
  uint64_t a, b;
  bool operator==(const GameDigest& o) const { return a == o.a && b == o.b; }
};
struct GameDigestHash {
  size_t operator()(const GameDigest& d) const { return static_cast<size_t>(d.a); }
};

GameDigest digestOf(const hex::Game& game) {
  uint64_t a = mixKeys(0x44555031ULL, static_cast<uint64_t>(game.size), game.moves.size());
  uint64_t b = 0xcbf29ce484222325ULL ^ static_cast<uint64_t>(game.size);  // FNV-1a, independent of `a`
  for (uint16_t move : game.moves) {
    a = mixKeys(a, move);
    b = (b ^ (move & 0xFF)) * 0x100000001b3ULL;
    b = (b ^ (move >> 8)) * 0x100000001b3ULL;
  }
  return {a, b};
}

// What decides how records are read and which are kept.
struct RecordReading {
  hex::RecordFormat format;
  bool onlyResignOrConnection = false;  // SGF
};

// Reads the records of one file in order: (line number, parse result) for each. The one
// place that knows how a format is laid out in a file; the line formats share a reader,
// a multi-line format adds its own case here.
void forEachRecord(const RecordReading& reading, const std::string& file, int& size,
                   const std::function<void(uint64_t, hex::LineResult&, uint64_t)>& visit) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throwIoError("cannot open", file);
  const hex::RecordFormat format = reading.format;
  if (format == hex::RecordFormat::Sgf) {
    // One or many games per file, each spanning any number of lines: a game's line is
    // the one it starts on, its bytes those read up to its end.
    hex::SgfReader reader(in, file);
    std::string text;
    uint64_t line = 0, game = 0, before = 0;
    while (reader.next(text, line)) {
      hex::LineResult result =
          hex::toLineResult(hex::parseSgfGame(text, {size, reading.onlyResignOrConnection}), ++game);
      if (result.kind == hex::LineResult::Valid && size == 0) size = result.game.size;
      visit(line, result, reader.bytesRead() - before);
      before = reader.bytesRead();
    }
    if (reader.bad()) throwIoError("cannot read", file);
    return;
  }
  std::string line;
  uint64_t lineNumber = 0;
  while (std::getline(in, line)) {
    ++lineNumber;
    hex::LineResult result = hex::parseRecordLine(format, line, size);
    if (result.kind == hex::LineResult::Valid && size == 0) size = result.game.size;
    visit(lineNumber, result, line.size() + 1);
  }
  if (in.bad()) throwIoError("cannot read", file);
}

// The second pass of an import: the files read again, keeping the games the first pass
// kept (valid, not duplicates), in the same order. Holds one game at a time.
class FileGameSource : public GameSource {
 public:
  FileGameSource(RecordReading reading, std::vector<std::string> files, int size, std::vector<bool> keep,
                 std::vector<uint16_t> lengths, std::function<void(uint64_t)> progress)
      : reading_(reading),
        files_(std::move(files)),
        size_(size),
        keep_(std::move(keep)),
        lengths_(std::move(lengths)),
        progress_(std::move(progress)) {}

  uint64_t games() const override { return lengths_.size(); }
  uint64_t maxPositions(uint64_t id) const override { return uint64_t{lengths_[id]} + 1; }

  void forEach(const std::function<void(uint64_t, const hex::Game&)>& visit) const override {
    uint64_t valid = 0, id = 0, bytes = 0;
    int size = size_;  // as the first pass: fixed by the first valid record when 0
    for (const auto& file : files_) {
      forEachRecord(reading_, file, size, [&](uint64_t lineNumber, hex::LineResult& result, uint64_t lineBytes) {
        bytes += lineBytes;
        if (progress_ && (lineNumber & 4095) == 0) progress_(bytes);
        if (result.kind != hex::LineResult::Valid) return;
        if (valid >= keep_.size()) changed(file);
        if (!keep_[valid++]) return;
        if (result.game.moves.size() != lengths_[id]) changed(file);
        visit(id++, result.game);
      });
    }
    if (valid != keep_.size()) changed(files_.back());
  }

 private:
  [[noreturn]] static void changed(const std::string& file) {
    throw Error(ErrorCode::Io, "input " + file + " changed while it was imported; nothing was written");
  }

  RecordReading reading_;
  std::vector<std::string> files_;
  int size_;
  std::vector<bool> keep_;         // per valid record: imported (not a duplicate)
  std::vector<uint16_t> lengths_;  // per imported game: moves
  std::function<void(uint64_t)> progress_;
};

// Synthetic games, played again when the builder visits them: nothing is held.
class SyntheticGameSource : public GameSource {
 public:
  SyntheticGameSource(uint64_t games, int size, uint64_t seed) : games_(games), size_(size), seed_(seed) {}
  uint64_t games() const override { return games_; }
  uint64_t maxPositions(uint64_t) const override { return static_cast<uint64_t>(size_) * size_ + 1; }
  void forEach(const std::function<void(uint64_t, const hex::Game&)>& visit) const override {
    for (uint64_t i = 0; i < games_; ++i) visit(i, hex::playSyntheticGame(size_, seed_, i));
  }

 private:
  uint64_t games_;
  int size_;
  uint64_t seed_;
};

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
  std::vector<std::string> files = expandInputs(options.inputs, options.format);
  const RecordReading reading{options.format, options.onlyResignOrConnection};
  // Fail on an unusable output directory before reading anything.
  prepareOutputDirectory(options.build.outDir);
  if (options.boardSize != 0) hex::checkSize(options.boardSize, "board size");

  uint64_t totalBytes = 0, bytesDone = 0;
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0) totalBytes += static_cast<uint64_t>(st.st_size);
  }

  // Progress covers both passes over the input: validation, then writing.
  const uint64_t progressTotal = 2 * totalBytes;
  ImportSummary summary;
  const int initialSize =
      options.boardSize != 0 ? options.boardSize : (options.format == hex::RecordFormat::Moves ? 13 : 0);
  int size = initialSize;
  // First pass: validate every record and find duplicates; keep one bit per valid
  // record, 2 bytes per imported game and 16 (plus the hash set's own) for duplicates.
  std::vector<bool> keep;
  std::vector<uint16_t> lengths;
  std::unordered_set<GameDigest, GameDigestHash> seen;
  uint64_t invalidCount = 0;
  for (const auto& file : files) {
    uint64_t recordsInFile = 0, lines = 0;
    forEachRecord(reading, file, size, [&](uint64_t lineNumber, hex::LineResult& result, uint64_t lineBytes) {
      lines = lineNumber;
      bytesDone += lineBytes;
      if (progress && (lineNumber & 4095) == 0) progress(bytesDone, progressTotal);
      if (result.kind == hex::LineResult::Skip) return;
      ++recordsInFile;
      ++summary.recordsRead;
      if (result.kind == hex::LineResult::Excluded) {  // well-formed, not imported by rule: counted
        summary.skippedByReason[result.reasonKind] += 1;
        return;
      }
      if (result.kind == hex::LineResult::Invalid) {
        ++invalidCount;
        summary.skippedByReason[result.reasonKind] += 1;
        if (summary.invalid.size() < kInvalidKept)
          summary.invalid.push_back({file, lineNumber, result.reasonKind, result.reason});
        return;
      }
      bool fresh = options.keepDuplicates || seen.insert(digestOf(result.game)).second;
      keep.push_back(fresh);
      if (!fresh) {
        ++summary.duplicates;
        return;
      }
      lengths.push_back(static_cast<uint16_t>(result.game.moves.size()));
    });
    if (recordsInFile == 0) {
      // An SGF file visits no line without a game, so its emptiness is its size.
      struct stat st {};
      bool empty = lines == 0 && ::stat(file.c_str(), &st) == 0 && st.st_size == 0;
      throw Error(ErrorCode::InvalidArgument, "file " + file + (empty ? " is empty" : " holds no game records"));
    }
  }
  decltype(seen)().swap(seen);
  if (progress) progress(totalBytes, progressTotal);

  if (invalidCount > 0 && options.onInvalid == OnInvalid::Fail) {
    std::string message = std::to_string(invalidCount) + " invalid record" + (invalidCount > 1 ? "s" : "") +
                          "; nothing was written (use --on-invalid skip to import the rest):";
    for (const auto& bad : summary.invalid) {
      message += "\n  " + bad.file + ":" + std::to_string(bad.line) + ": " + bad.reason;
    }
    if (invalidCount > summary.invalid.size()) message += "\n  ...";
    throw Error(ErrorCode::InvalidRecord, message);
  }
  if (lengths.empty()) throw Error(ErrorCode::InvalidArgument, "no valid games in the input; nothing was written");

  summary.gamesImported = lengths.size();
  summary.boardSize = size;
  nlohmann::json source = {{"kind", "import"},
                           {"format", hex::recordFormatName(options.format)},
                           {"files", sourceNames(files)},
                           {"recordsRead", summary.recordsRead},
                           {"duplicatesDropped", summary.duplicates},
                           {"skippedByReason", summary.skippedByReason}};
  std::function<void(uint64_t)> secondPass;
  if (progress) secondPass = [&](uint64_t bytes) { progress(totalBytes + bytes, progressTotal); };
  FileGameSource games(reading, files, initialSize, std::move(keep), std::move(lengths), secondPass);
  summary.build = writeDataset(games, size, options.build, source);
  if (progress) progress(progressTotal, progressTotal);
  summary.seconds = secondsSince(start);
  return summary;
}

GenerateSummary generateDataset(const GenerateOptions& options) {
  auto start = std::chrono::steady_clock::now();
  hex::checkSize(options.boardSize, "board size");
  if (options.games == 0) throw Error(ErrorCode::InvalidArgument, "the number of games must be at least 1");
  prepareOutputDirectory(options.build.outDir);
  SyntheticGameSource games(options.games, options.boardSize, options.seed);
  nlohmann::json source = {{"kind", "synthetic"}, {"games", options.games}, {"seed", options.seed}};
  GenerateSummary summary;
  summary.boardSize = options.boardSize;
  summary.build = writeDataset(games, options.boardSize, options.build, source);
  summary.seconds = secondsSince(start);
  return summary;
}

}  // namespace hextorch::data
