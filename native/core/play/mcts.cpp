#include "play/mcts.h"

#include <algorithm>
#include <cmath>

#include "play/sampling.h"
#include "util/error.h"

namespace hextorch::play {

struct Mcts::Node {
  int move = -1;
  float prior = 0;
  int visits = 0;
  int virtualLoss = 0;
  double valueSum = 0;  // results seen from the side that played `move`: +1 win, -1 loss
  bool expanded = false;
  bool pending = false;   // waiting for its evaluation
  bool terminal = false;  // `move` connected: the side that played it has won
  std::vector<Node> children;
};

struct Mcts::Pending {
  std::vector<Node*> path;
  GameState state;
};

namespace {

// Marsaglia and Tsang's gamma sampler on the portable generator (so noise is the same
// on every platform); shape < 1 uses the boost gamma(a+1) * U^(1/a).
double sampleGamma(Rng& rng, double shape) {
  if (shape < 1.0) {
    double u = std::max(rng.unit(), 1e-300);
    return sampleGamma(rng, shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      double u1 = std::max(rng.unit(), 1e-300), u2 = rng.unit();
      x = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    double u = std::max(rng.unit(), 1e-300);
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

}  // namespace

Mcts::Mcts(int boardSize, const MctsOptions& options)
    : size_(boardSize), options_(options), root_(std::make_unique<Node>()), rootState_(boardSize), rng_(options.seed) {
  if (options_.playouts < 0 || options_.seconds < 0 || (options_.playouts == 0 && options_.seconds <= 0)) {
    throw Error(ErrorCode::InvalidArgument, "mcts needs a budget: playouts > 0 or seconds > 0");
  }
  if (options_.batch < 1) throw Error(ErrorCode::InvalidArgument, "mcts batch must be at least 1");
  if (options_.cpuct <= 0) throw Error(ErrorCode::InvalidArgument, "mcts cpuct must be positive");
}

Mcts::~Mcts() = default;

void Mcts::start(const std::vector<uint16_t>& moves) {
  GameState state = GameState::fromMoves(size_, moves);
  Node* reuse = nullptr;
  if (options_.reuseTree && moves.size() >= rootMoves_.size() &&
      std::equal(rootMoves_.begin(), rootMoves_.end(), moves.begin())) {
    reuse = root_.get();
    for (size_t k = rootMoves_.size(); k < moves.size() && reuse; ++k) {
      Node* next = nullptr;
      for (auto& child : reuse->children)
        if (child.move == moves[k]) next = &child;
      reuse = next;
    }
  }
  if (reuse == nullptr) {
    root_ = std::make_unique<Node>();
  } else if (reuse != root_.get()) {
    auto kept = std::make_unique<Node>(std::move(*reuse));
    root_ = std::move(kept);
  }
  root_->move = moves.empty() ? -1 : moves.back();
  rootMoves_ = moves;
  rootState_ = std::move(state);
  pending_.clear();
  info_ = SearchInfo{};
  info_.reusedVisits = root_->visits;
  started_ = finished_ = 0;
  rng_ = Rng(mixKeys(options_.seed, 0x4D435453ULL, moves.size()));
  noised_ = false;
  if (root_->expanded) addNoise();
  deadline_ =
      std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(options_.seconds * 1e6));
}

bool Mcts::searching() const {
  if (rootState_.over()) return false;
  if (!root_->expanded) return true;
  if (options_.playouts > 0 && finished_ >= options_.playouts) return false;
  if (options_.seconds > 0 && std::chrono::steady_clock::now() >= deadline_) return false;
  return true;
}

void Mcts::addNoise() {
  if (noised_ || options_.dirichletAlpha <= 0 || root_->children.empty()) return;
  std::vector<double> noise(root_->children.size());
  double total = 0;
  for (auto& g : noise) total += (g = sampleGamma(rng_, options_.dirichletAlpha));
  if (total <= 0) return;
  const double w = options_.dirichletWeight;
  for (size_t k = 0; k < noise.size(); ++k) {
    auto& child = root_->children[k];
    child.prior = static_cast<float>((1 - w) * child.prior + w * noise[k] / total);
  }
  noised_ = true;
}

int Mcts::collect(int max, std::vector<PositionRef>& out) {
  pending_.clear();
  if (rootState_.over()) return 0;
  if (!root_->expanded) {
    if (root_->pending) return 0;
    root_->pending = true;
    pending_.push_back({{root_.get()}, rootState_});
    out.push_back({pending_.back().state.cellBytes(), pending_.back().state.toMove()});
    return 1;
  }
  pending_.reserve(max);
  int added = 0;
  const bool timed = options_.seconds > 0;
  while (added < max) {
    if (options_.playouts > 0 && started_ >= options_.playouts) break;
    if (timed && std::chrono::steady_clock::now() >= deadline_) break;
    std::vector<Node*> path{root_.get()};
    GameState state = rootState_;
    Node* node = root_.get();
    while (node->expanded && !node->terminal) {
      // PUCT: Q from the side to move at `node`, plus the prior's exploration term.
      const double parentVisits = node->visits + node->virtualLoss;
      const double explore = options_.cpuct * std::sqrt(std::max(1.0, parentVisits));
      const double parentQ = node->visits > 0 ? -node->valueSum / node->visits : 0.0;
      const double fpu = parentQ - options_.fpuReduction;
      Node* best = nullptr;
      double bestScore = -1e300;
      for (auto& child : node->children) {
        const int n = child.visits + child.virtualLoss;
        const double q = n > 0 ? (child.valueSum - child.virtualLoss) / n : fpu;
        const double score = q + explore * child.prior / (1.0 + n);
        if (score > bestScore) {
          bestScore = score;
          best = &child;
        }
      }
      best->virtualLoss += 1;
      state.play(best->move);
      if (state.over()) best->terminal = true;
      path.push_back(best);
      node = best;
    }
    ++started_;
    if (node->terminal) {
      backup(path, 1.0);
      ++finished_;
      continue;
    }
    if (node->pending) {  // another descent of this round waits on this leaf
      for (size_t k = 1; k < path.size(); ++k) path[k]->virtualLoss -= 1;
      --started_;
      ++info_.collisions;
      break;
    }
    node->pending = true;
    pending_.push_back({std::move(path), std::move(state)});
    out.push_back({pending_.back().state.cellBytes(), pending_.back().state.toMove()});
    ++added;
  }
  return added;
}

void Mcts::backup(const std::vector<Node*>& path, double valueForMover) {
  double x = valueForMover;
  for (size_t k = path.size(); k-- > 0;) {
    Node* node = path[k];
    node->visits += 1;
    node->valueSum += x;
    if (k > 0) node->virtualLoss -= 1;
    x = -x;
  }
}

void Mcts::deliver(const float* policy, const float* value, int count) {
  if (count != static_cast<int>(pending_.size())) {
    throw Error(ErrorCode::Internal, "mcts: " + std::to_string(count) + " evaluations delivered for " +
                                         std::to_string(pending_.size()) + " leaves");
  }
  const int cells = size_ * size_;
  for (int i = 0; i < count; ++i) {
    Pending& p = pending_[i];
    Node* leaf = p.path.back();
    const float* prior = policy + static_cast<size_t>(i) * cells;
    const uint8_t* board = p.state.cellBytes();
    leaf->children.clear();
    for (int c = 0; c < cells; ++c) {
      if (board[c] != 0) continue;
      Node child;
      child.move = c;
      child.prior = prior[c];
      leaf->children.push_back(child);
    }
    leaf->expanded = true;
    leaf->pending = false;
    if (leaf == root_.get()) addNoise();
    // The net's value is +1 for Red; the leaf stores results for the side that moved into it.
    const double forToMove = p.state.toMove() == hex::Player::Red ? value[i] : -value[i];
    backup(p.path, -forToMove);
    if (p.path.size() > 1) ++finished_;
  }
  pending_.clear();
  if (count > 0) ++info_.forwardBatches;
}

int Mcts::chooseMove() {
  if (rootState_.over()) throw Error(ErrorCode::InvalidArgument, "the game is over; there is no move to choose");
  const Node& root = *root_;
  if (!root.expanded || root.children.empty()) throw Error(ErrorCode::Internal, "mcts: the root was never expanded");
  info_.playouts = finished_;
  info_.rootValue = root.visits > 0 ? -root.valueSum / root.visits : 0.0;
  info_.visits.clear();
  for (const auto& child : root.children)
    if (child.visits > 0) info_.visits.emplace_back(child.move, child.visits);
  for (const auto& child : root.children)
    if (child.terminal) return child.move;  // a winning move found by the search
  const Node* chosen = nullptr;
  if (options_.temperature > 0) {
    std::vector<double> weights;
    for (const auto& child : root.children)
      weights.push_back(child.visits > 0 ? std::pow(static_cast<double>(child.visits), 1.0 / options_.temperature)
                                         : 0.0);
    int k = sampleByWeight(weights, rng_);
    if (k >= 0) chosen = &root.children[k];
  }
  if (!chosen) {
    for (const auto& child : root.children) {
      if (!chosen || child.visits > chosen->visits || (child.visits == chosen->visits && child.prior > chosen->prior))
        chosen = &child;
    }
  }
  return chosen->move;
}

int Mcts::search(PositionEvaluator& evaluator, const std::vector<uint16_t>& moves) {
  start(moves);
  std::vector<PositionRef> refs;
  Evaluations evaluations;
  while (searching()) {
    refs.clear();
    int n = collect(options_.batch, refs);
    if (n == 0) continue;
    evaluator.evaluate(refs, evaluations);
    deliver(evaluations.policy.data(), evaluations.value.data(), n);
  }
  return chooseMove();
}

}  // namespace hextorch::play
