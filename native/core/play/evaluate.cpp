#include "play/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>

#include "data/dataset.h"
#include "data/position_record.h"
#include "play/game_state.h"
#include "util/error.h"

namespace hextorch::play {

void MetricSums::add(const MetricSums& o) {
  positions += o.positions;
  policyPositions += o.policyPositions;
  top1 += o.top1;
  top5 += o.top5;
  crossEntropy += o.crossEntropy;
  valueSquaredError += o.valueSquaredError;
  valueCorrect += o.valueCorrect;
}

namespace {

constexpr int kCalibrationBins = 10;

void scoreInto(MetricSums& m, const LabelledPosition& p, const float* policy, float value, int cells) {
  m.positions += 1;
  const double redWins = (value + 1.0) * 0.5;
  m.valueSquaredError += (redWins - p.redWon) * (redWins - p.redWon);
  m.valueCorrect += (value > 0) == (p.redWon == 1) ? 1 : 0;
  if (p.policy < 0) return;
  m.policyPositions += 1;
  const float target = policy[p.policy];
  int better = 0;  // cells ranked above the target (ties count for the target)
  for (int c = 0; c < cells; ++c)
    if (policy[c] > target) ++better;
  m.top1 += better < 1 ? 1 : 0;
  m.top5 += better < 5 ? 1 : 0;
  m.crossEntropy += -std::log(std::max(static_cast<double>(target), 1e-12));
}

// Yields labelled positions batch by batch from a dataset split or a record file.
class PositionSource {
 public:
  virtual ~PositionSource() = default;
  virtual bool next(std::vector<LabelledPosition>& out, int max) = 0;
  virtual uint64_t total() const = 0;
  int64_t games = 0;
};

class DatasetSource : public PositionSource {
 public:
  DatasetSource(const std::string& dir, const std::string& split, uint64_t limit) {
    if (split != "train" && split != "validation") {
      throw Error(ErrorCode::InvalidArgument, "split '" + split + "' is not one of train, validation");
    }
    dataset_ = data::Dataset::open(dir, split == "train" ? data::Split::Train : data::Split::Validation);
    total_ = limit > 0 ? std::min<uint64_t>(limit, dataset_->size()) : dataset_->size();
  }
  int boardSize() const { return dataset_->boardSize(); }
  uint64_t total() const override { return total_; }
  bool next(std::vector<LabelledPosition>& out, int max) override {
    out.clear();
    if (read_ >= total_) return false;
    const auto& layout = dataset_->layout();
    uint64_t count = std::min<uint64_t>(max, total_ - read_);
    records_.resize(count * layout.recordSize);
    dataset_->read(read_, count, records_.data(), scratch_);
    for (uint64_t j = 0; j < count; ++j) {
      data::Position p = data::decodePosition(layout, records_.data() + j * layout.recordSize);
      LabelledPosition l;
      l.cells.assign(p.cells.begin(), p.cells.begin() + layout.cells);
      l.toMove = p.toMove;
      l.policy = p.policy;
      l.redWon = p.value;
      l.ply = p.ply;
      out.push_back(std::move(l));
    }
    read_ += count;
    return true;
  }

 private:
  std::shared_ptr<data::Dataset> dataset_;
  uint64_t total_ = 0, read_ = 0;
  std::vector<uint8_t> records_, scratch_;
};

class RecordSource : public PositionSource {
 public:
  RecordSource(const std::string& path, hex::RecordFormat format, int boardSize, uint64_t limit)
      : path_(path), format_(format), boardSize_(boardSize), limit_(limit), in_(path) {
    if (!in_) throwIoError("cannot open record file", path);
  }
  uint64_t total() const override { return limit_; }
  bool next(std::vector<LabelledPosition>& out, int max) override {
    out.clear();
    while (static_cast<int>(out.size()) < max) {
      if (queue_.empty() && !readGame()) break;
      out.push_back(std::move(queue_.back()));
      queue_.pop_back();
      ++given_;
      if (limit_ > 0 && given_ >= limit_) {
        queue_.clear();
        done_ = true;
        break;
      }
    }
    return !out.empty();
  }

 private:
  // Reads the next valid game and queues its positions (in reverse, popped from the back).
  bool readGame() {
    std::string line;
    while (!done_ && std::getline(in_, line)) {
      ++lineNumber_;
      hex::LineResult r = hex::parseRecordLine(format_, line, format_ == hex::RecordFormat::Moves ? boardSize_ : 0);
      if (r.kind == hex::LineResult::Skip) continue;
      if (r.kind == hex::LineResult::Invalid) {
        throw Error(ErrorCode::InvalidRecord, path_ + ":" + std::to_string(lineNumber_) + ": " + r.reason);
      }
      if (r.game.size != boardSize_) {
        throw Error(ErrorCode::InvalidArgument, path_ + ":" + std::to_string(lineNumber_) + ": a " +
                                                    std::to_string(r.game.size) + "x" + std::to_string(r.game.size) +
                                                    " game, but the network plays " + std::to_string(boardSize_) + "x" +
                                                    std::to_string(boardSize_));
      }
      ++games;
      GameState state(boardSize_);
      std::vector<LabelledPosition> positions;
      const uint8_t redWon = r.game.winner == hex::Player::Red ? 1 : 0;
      for (size_t k = 0; k <= r.game.moves.size(); ++k) {
        LabelledPosition p;
        p.cells.assign(state.cellBytes(), state.cellBytes() + state.cells());
        p.toMove = state.toMove();
        p.policy = k < r.game.moves.size() ? r.game.moves[k] : -1;
        p.redWon = redWon;
        p.ply = static_cast<int>(k);
        positions.push_back(std::move(p));
        if (k < r.game.moves.size()) state.play(r.game.moves[k]);
      }
      queue_.assign(std::make_move_iterator(positions.rbegin()), std::make_move_iterator(positions.rend()));
      return true;
    }
    return false;
  }

  std::string path_;
  hex::RecordFormat format_;
  int boardSize_;
  uint64_t limit_, given_ = 0;
  bool done_ = false;
  std::ifstream in_;
  uint64_t lineNumber_ = 0;
  std::vector<LabelledPosition> queue_;
};

}  // namespace

void scorePosition(EvaluateResult& result, const LabelledPosition& p, const float* policy, float value) {
  const int cells = result.boardSize * result.boardSize;
  if (result.byPly.size() != result.plyEdges.size()) result.byPly.resize(result.plyEdges.size());
  if (result.calibration.size() != kCalibrationBins) result.calibration.resize(kCalibrationBins);
  scoreInto(result.overall, p, policy, value, cells);
  int bucket = -1;
  for (size_t k = 0; k < result.plyEdges.size(); ++k)
    if (p.ply >= result.plyEdges[k]) bucket = static_cast<int>(k);
  if (bucket >= 0) scoreInto(result.byPly[bucket], p, policy, value, cells);
  const double redWins = (value + 1.0) * 0.5;
  int bin = std::clamp(static_cast<int>(redWins * kCalibrationBins), 0, kCalibrationBins - 1);
  result.calibration[bin].count += 1;
  result.calibration[bin].predictedSum += redWins;
  result.calibration[bin].redWins += p.redWon;
}

EvaluateResult evaluateNetwork(PositionEvaluator& evaluator, const EvaluateOptions& options,
                               const std::function<void(uint64_t, uint64_t)>& progress) {
  auto started = std::chrono::steady_clock::now();
  if (options.batchSize < 1) throw Error(ErrorCode::InvalidArgument, "batch size must be at least 1");
  if (options.plyEdges.empty() || options.plyEdges[0] != 0 ||
      !std::is_sorted(options.plyEdges.begin(), options.plyEdges.end()) ||
      std::adjacent_find(options.plyEdges.begin(), options.plyEdges.end()) != options.plyEdges.end()) {
    throw Error(ErrorCode::InvalidArgument, "ply bucket edges must start at 0 and increase");
  }
  EvaluateResult result;
  result.boardSize = evaluator.boardSize();
  result.plyEdges = options.plyEdges;
  result.byPly.resize(options.plyEdges.size());
  result.calibration.resize(kCalibrationBins);
  std::unique_ptr<PositionSource> source;
  if (!options.dataDir.empty() == !options.recordsFile.empty()) {
    throw Error(ErrorCode::InvalidArgument, "evaluate needs a dataset directory or a record file (one of them)");
  }
  if (!options.dataDir.empty()) {
    auto ds = std::make_unique<DatasetSource>(options.dataDir, options.split, options.maxPositions);
    if (ds->boardSize() != result.boardSize) {
      throw Error(ErrorCode::InvalidArgument,
                  "dataset " + options.dataDir + " holds " + std::to_string(ds->boardSize()) + "x" +
                      std::to_string(ds->boardSize()) + " positions, but the network plays " +
                      std::to_string(result.boardSize) + "x" + std::to_string(result.boardSize));
    }
    result.source = options.dataDir + " (" + options.split + ")";
    source = std::move(ds);
  } else {
    source =
        std::make_unique<RecordSource>(options.recordsFile, options.format, result.boardSize, options.maxPositions);
    result.source = options.recordsFile;
  }
  std::vector<LabelledPosition> batch;
  std::vector<PositionRef> refs;
  Evaluations evaluations;
  const int cells = result.boardSize * result.boardSize;
  uint64_t done = 0;
  while (source->next(batch, options.batchSize)) {
    refs.clear();
    for (const auto& p : batch) refs.push_back({p.cells.data(), p.toMove});
    evaluator.evaluate(refs, evaluations);
    for (size_t j = 0; j < batch.size(); ++j)
      scorePosition(result, batch[j], evaluations.policy.data() + j * cells, evaluations.value[j]);
    done += batch.size();
    if (progress) progress(done, source->total());
  }
  result.games = source->games;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace hextorch::play
