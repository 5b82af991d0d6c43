#include "play/match.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "util/error.h"
#include "util/random.h"

namespace hextorch::play {
namespace {

struct Slot {
  int index = -1;
  GameState state;
  std::unique_ptr<GamePlayer> players[2];  // [0] side A, [1] side B
  bool aIsBlue = true;
  int openingMoves = 0;
  bool thinking = false;  // the side to move has started on its move
  GamePlayer& mover() {
    bool blueToMove = state.toMove() == hex::Player::Blue;
    return *players[blueToMove == aIsBlue ? 0 : 1];
  }
  explicit Slot(int size) : state(size) {}
};

}  // namespace

std::vector<uint16_t> matchOpening(const MatchOptions& options, int game) {
  const int pair = game / 2;
  if (!options.openings.empty()) return options.openings[pair % options.openings.size()];
  if (!options.randomOpening) return {};
  const int cells = options.boardSize * options.boardSize;
  Rng rng(mixKeys(options.seed, 0x4F50454EULL, static_cast<uint64_t>(pair)));
  return {static_cast<uint16_t>(rng.below(cells))};
}

MatchSummary runMatch(const MatchOptions& options, const MatchSide& a, const MatchSide& b,
                      const std::function<void(const GameResult&)>& onGame, const std::atomic<bool>* stop) {
  hex::checkSize(options.boardSize, "match board size");
  if (options.games < 1) throw Error(ErrorCode::InvalidArgument, "a match needs at least one game");
  if (options.parallel < 1) throw Error(ErrorCode::InvalidArgument, "parallel games must be at least 1");
  for (size_t k = 0; k < options.openings.size(); ++k) {
    if (GameState::fromMoves(options.boardSize, options.openings[k]).over()) {
      throw Error(ErrorCode::InvalidArgument, "opening " + std::to_string(k + 1) + " already ends the game");
    }
  }
  auto started = std::chrono::steady_clock::now();
  int64_t positionsBefore = 0, forwardsBefore = 0;
  std::vector<PositionEvaluator*> evaluators;
  for (const MatchSide* side : {&a, &b})
    if (side->evaluator && std::find(evaluators.begin(), evaluators.end(), side->evaluator.get()) == evaluators.end())
      evaluators.push_back(side->evaluator.get());
  for (auto* e : evaluators) {
    positionsBefore += e->positionsEvaluated();
    forwardsBefore += e->forwardPasses();
  }

  MatchSummary summary;
  std::vector<std::unique_ptr<Slot>> slots;
  int next = 0;
  // Positions asked for in a round, per network, with the player each came from.
  struct Asked {
    std::vector<PositionRef> positions;
    std::vector<std::pair<GamePlayer*, int>> owners;  // (player, how many of the positions)
  };
  Evaluations evaluations;
  while (true) {
    if (stop && stop->load()) {
      summary.stopped = next < options.games || !slots.empty();
      break;
    }
    while (static_cast<int>(slots.size()) < options.parallel && next < options.games) {
      auto slot = std::make_unique<Slot>(options.boardSize);
      slot->index = next;
      slot->aIsBlue = next % 2 == 0;
      const MatchSide* sides[2] = {&a, &b};
      for (int s = 0; s < 2; ++s) {
        PlayerOptions p = sides[s]->player;
        p.seed = mixKeys(p.seed, 0x47414D45ULL + s, static_cast<uint64_t>(next));
        slot->players[s] = GamePlayer::make(p, options.boardSize, sides[s]->evaluator);
      }
      for (uint16_t move : matchOpening(options, next)) slot->state.play(move);
      slot->openingMoves = static_cast<int>(slot->state.moves().size());
      slots.push_back(std::move(slot));
      ++next;
    }
    if (slots.empty()) break;

    std::map<PositionEvaluator*, Asked> asked;
    for (auto& slot : slots) {
      GamePlayer& player = slot->mover();
      if (!slot->thinking) {
        player.start(slot->state);
        slot->thinking = true;
      }
      if (player.done()) continue;
      Asked& group = asked[player.evaluator()];
      int n = player.collect(group.positions);
      group.owners.emplace_back(&player, n);
    }
    for (auto& [evaluator, group] : asked) {
      if (!group.positions.empty()) evaluator->evaluate(group.positions, evaluations);
      size_t offset = 0;
      const size_t cells = static_cast<size_t>(options.boardSize) * options.boardSize;
      for (auto& [player, n] : group.owners) {
        player->deliver(evaluations.policy.data() + offset * cells, evaluations.value.data() + offset, n);
        offset += n;
      }
    }
    for (size_t k = 0; k < slots.size();) {
      Slot& slot = *slots[k];
      GamePlayer& player = slot.mover();
      if (slot.thinking && player.done()) {
        slot.state.play(player.move());
        slot.thinking = false;
      }
      if (!slot.state.over()) {
        ++k;
        continue;
      }
      GameResult result;
      result.index = slot.index;
      result.aIsBlue = slot.aIsBlue;
      result.openingMoves = slot.openingMoves;
      result.moves = slot.state.moves();
      result.winner = *slot.state.winner();
      summary.games.push_back(result);
      if (onGame) onGame(summary.games.back());
      slots.erase(slots.begin() + static_cast<long>(k));
    }
  }
  for (auto* e : evaluators) {
    summary.positionsEvaluated += e->positionsEvaluated();
    summary.forwardPasses += e->forwardPasses();
  }
  summary.positionsEvaluated -= positionsBefore;
  summary.forwardPasses -= forwardsBefore;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace hextorch::play
