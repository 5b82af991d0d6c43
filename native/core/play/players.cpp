#include "play/players.h"

#include <cmath>

#include "play/sampling.h"
#include "util/error.h"
#include "util/random.h"

namespace hextorch::play {
namespace {

class RandomPlayer : public GamePlayer {
 public:
  explicit RandomPlayer(uint64_t seed) : GamePlayer(nullptr), seed_(seed) {}
  void start(const GameState& state) override {
    std::vector<int> empty = state.emptyCells();
    if (state.over() || empty.empty())
      throw Error(ErrorCode::InvalidArgument, "the game is over; there is no move to choose");
    Rng rng(mixKeys(seed_, 0x52414E44ULL, state.moves().size()));
    move_ = empty[rng.below(empty.size())];
    info_ = MoveInfo{};
  }
  bool done() const override { return true; }
  int collect(std::vector<PositionRef>&) override { return 0; }
  void deliver(const float*, const float*, int) override {}
  int move() override { return move_; }

 private:
  uint64_t seed_;
  int move_ = -1;
};

class PolicyPlayer : public GamePlayer {
 public:
  PolicyPlayer(std::shared_ptr<PositionEvaluator> evaluator, double temperature, uint64_t seed)
      : GamePlayer(std::move(evaluator)), temperature_(temperature), seed_(seed), state_(evaluator_->boardSize()) {}
  void start(const GameState& state) override {
    if (state.over()) throw Error(ErrorCode::InvalidArgument, "the game is over; there is no move to choose");
    state_ = state;
    requested_ = false;
    move_ = -1;
  }
  bool done() const override { return move_ >= 0; }
  int collect(std::vector<PositionRef>& out) override {
    if (requested_ || done()) return 0;
    requested_ = true;
    out.push_back({state_.cellBytes(), state_.toMove()});
    return 1;
  }
  void deliver(const float* policy, const float* value, int count) override {
    const int cells = state_.cells();
    const uint8_t* board = state_.cellBytes();
    int best = -1;
    if (temperature_ > 0) {
      std::vector<double> weights(cells, 0.0);
      for (int c = 0; c < cells; ++c)
        if (board[c] == 0 && policy[c] > 0) weights[c] = std::pow(static_cast<double>(policy[c]), 1.0 / temperature_);
      Rng rng(mixKeys(seed_, 0x504F4C49ULL, state_.moves().size()));
      best = sampleByWeight(weights, rng);
    }
    if (best < 0) {
      for (int c = 0; c < cells; ++c)
        if (board[c] == 0 && (best < 0 || policy[c] > policy[best])) best = c;
    }
    move_ = best;
    info_ = MoveInfo{};
    // The value is +1 for Red; report it for the side that moves.
    info_.value = state_.toMove() == hex::Player::Red ? value[0] : -value[0];
  }
  int move() override { return move_; }

 private:
  double temperature_;
  uint64_t seed_;
  GameState state_;
  bool requested_ = false;
  int move_ = -1;
};

class MctsPlayer : public GamePlayer {
 public:
  MctsPlayer(std::shared_ptr<PositionEvaluator> evaluator, const MctsOptions& options)
      : GamePlayer(std::move(evaluator)), mcts_(evaluator_->boardSize(), options) {}
  void start(const GameState& state) override {
    if (state.over()) throw Error(ErrorCode::InvalidArgument, "the game is over; there is no move to choose");
    mcts_.start(state.moves());
    move_ = -1;
    settle();
  }
  bool done() const override { return move_ >= 0; }
  int collect(std::vector<PositionRef>& out) override { return done() ? 0 : mcts_.collect(mcts_.options().batch, out); }
  void deliver(const float* policy, const float* value, int count) override {
    mcts_.deliver(policy, value, count);
    settle();
  }
  int move() override { return move_; }

 private:
  // Chooses once the budget is spent. A round whose descents all ended on decided
  // games collects nothing: search on until the budget is spent or a leaf is found.
  void settle() {
    if (mcts_.searching()) return;
    move_ = mcts_.chooseMove();
    const SearchInfo& s = mcts_.info();
    info_ = MoveInfo{};
    info_.value = s.rootValue;
    info_.playouts = s.playouts;
    info_.reusedVisits = s.reusedVisits;
    info_.visits = s.visits;
  }
  Mcts mcts_;
  int move_ = -1;
};

}  // namespace

std::optional<PlayerKind> parsePlayerKind(std::string_view name) {
  if (name == "random") return PlayerKind::Random;
  if (name == "policy") return PlayerKind::Policy;
  if (name == "mcts") return PlayerKind::Mcts;
  return std::nullopt;
}

const char* playerKindName(PlayerKind kind) {
  switch (kind) {
    case PlayerKind::Random:
      return "random";
    case PlayerKind::Policy:
      return "policy";
    case PlayerKind::Mcts:
      return "mcts";
  }
  return "?";
}

std::unique_ptr<GamePlayer> GamePlayer::make(const PlayerOptions& options, int boardSize,
                                             std::shared_ptr<PositionEvaluator> evaluator) {
  if (options.kind == PlayerKind::Random) return std::make_unique<RandomPlayer>(options.seed);
  if (!evaluator) {
    throw Error(ErrorCode::InvalidArgument,
                std::string("the ") + playerKindName(options.kind) + " player needs a network");
  }
  if (evaluator->boardSize() != boardSize) {
    throw Error(ErrorCode::InvalidArgument, "the network plays " + std::to_string(evaluator->boardSize()) + "x" +
                                                std::to_string(evaluator->boardSize()) + " boards, not " +
                                                std::to_string(boardSize) + "x" + std::to_string(boardSize));
  }
  if (options.temperature < 0) throw Error(ErrorCode::InvalidArgument, "temperature must be at least 0");
  if (options.kind == PlayerKind::Policy)
    return std::make_unique<PolicyPlayer>(std::move(evaluator), options.temperature, options.seed);
  MctsOptions m = options.mcts;
  m.seed = options.seed;
  m.temperature = options.temperature;
  return std::make_unique<MctsPlayer>(std::move(evaluator), m);
}

int GamePlayer::chooseMove(const GameState& state) {
  start(state);
  std::vector<PositionRef> refs;
  Evaluations evaluations;
  while (!done()) {
    refs.clear();
    int n = collect(refs);
    if (n > 0) evaluator_->evaluate(refs, evaluations);
    deliver(evaluations.policy.data(), evaluations.value.data(), n);
  }
  return move();
}

}  // namespace hextorch::play
