#include "play_wrap.h"

#include <atomic>
#include <cstring>
#include <map>
#include <memory>

#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "hex/planes.h"
#include "play/evaluate.h"
#include "play/match.h"
#include "play/players.h"
#include "promise_worker.h"
#include "util/error.h"

namespace hextorch::binding {
namespace {

Napi::Error invalid(Napi::Env env, const std::string& message) {
  return makeError(env, {errorCodeName(ErrorCode::InvalidArgument), message});
}

// A player's options as resolved in TypeScript.
struct PlayerSpec {
  play::PlayerOptions player;
  play::EvaluatorOptions evaluator;  // checkpoint empty for random
  int boardSize = 0;
};

PlayerSpec readPlayer(Napi::Env env, const Napi::Object& o) {
  PlayerSpec s;
  std::string kind = getString(o, "kind", "policy");
  auto parsed = play::parsePlayerKind(kind);
  if (!parsed) throw invalid(env, "player kind '" + kind + "' is not one of random, policy, mcts");
  s.player.kind = *parsed;
  s.player.temperature = getNumber(o, "temperature", 0);
  s.player.seed = getUint64(o, "seed", 1);
  play::MctsOptions& m = s.player.mcts;
  m.playouts = getInt(o, "playouts", m.playouts);
  m.seconds = getNumber(o, "seconds", m.seconds);
  m.batch = getInt(o, "batch", m.batch);
  m.cpuct = getNumber(o, "cpuct", m.cpuct);
  m.fpuReduction = getNumber(o, "fpuReduction", m.fpuReduction);
  m.reuseTree = getBool(o, "reuseTree", m.reuseTree);
  m.dirichletAlpha = getNumber(o, "dirichletAlpha", m.dirichletAlpha);
  m.dirichletWeight = getNumber(o, "dirichletWeight", m.dirichletWeight);
  s.evaluator.checkpoint = getString(o, "checkpoint", "");
  s.evaluator.device = getString(o, "device", "cpu");
  s.evaluator.threads = getInt(o, "threads", 0);
  s.evaluator.maxBatch = getInt(o, "maxBatch", 512);
  s.boardSize = getInt(o, "boardSize", 0);
  if (s.player.kind != play::PlayerKind::Random && s.evaluator.checkpoint.empty()) {
    throw invalid(env, std::string("the ") + kind + " player needs a checkpoint");
  }
  return s;
}

std::vector<uint16_t> readMoves(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw invalid(env, std::string(what) + " must be an array of cell indices");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<uint16_t> out;
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value m = a.Get(k);
    if (!m.IsNumber())
      throw invalid(env, std::string(what) + ": move " + std::to_string(k + 1) + " is not a cell index");
    double d = m.As<Napi::Number>().DoubleValue();
    if (d < 0 || d >= hex::kMaxCells || d != static_cast<int>(d)) {
      throw invalid(env, std::string(what) + ": move " + std::to_string(k + 1) + " is off the board");
    }
    out.push_back(static_cast<uint16_t>(d));
  }
  return out;
}

Napi::Array movesArray(Napi::Env env, const std::vector<uint16_t>& moves) {
  Napi::Array a = Napi::Array::New(env, moves.size());
  for (size_t k = 0; k < moves.size(); ++k) a.Set(static_cast<uint32_t>(k), moves[k]);
  return a;
}

Napi::Object gameObject(Napi::Env env, const play::GameResult& g, int boardSize) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", g.index);
  o.Set("boardSize", boardSize);
  o.Set("aIsBlue", g.aIsBlue);
  o.Set("openingMoves", g.openingMoves);
  o.Set("moves", movesArray(env, g.moves));
  o.Set("winner", g.winner == hex::Player::Blue ? "blue" : "red");
  return o;
}

Napi::Object infoObject(Napi::Env env, const play::MoveInfo& info) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("value", info.value);
  o.Set("playouts", info.playouts);
  o.Set("reusedVisits", info.reusedVisits);
  Napi::Array visits = Napi::Array::New(env, info.visits.size());
  for (size_t k = 0; k < info.visits.size(); ++k) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, info.visits[k].first);
    pair.Set(1u, info.visits[k].second);
    visits.Set(static_cast<uint32_t>(k), pair);
  }
  o.Set("visits", visits);
  return o;
}

// ---- NativePlayer ------------------------------------------------------------------

class PlayerWrap : public Napi::ObjectWrap<PlayerWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(
        env, "NativePlayer",
        {InstanceMethod<&PlayerWrap::genmove>("genmove"), InstanceMethod<&PlayerWrap::describe>("describe"),
         InstanceMethod<&PlayerWrap::dispose>("dispose")});
  }
  explicit PlayerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PlayerWrap>(info) {}

  struct State {
    std::unique_ptr<play::GamePlayer> player;
    std::shared_ptr<play::PositionEvaluator> evaluator;
    int boardSize = 0;
    std::string kind, network;
  };
  std::shared_ptr<State> state_;
  bool busy_ = false;

 private:
  // genmove(moves: number[]): the move for the side to move after `moves`.
  Napi::Value genmove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!state_) throw invalid(env, "the player was disposed");
    if (busy_)
      throw makeError(
          env, {errorCodeName(ErrorCode::Busy), "genmove() was called while another is in flight; await it first"});
    std::vector<uint16_t> moves = readMoves(env, info[0], "moves");
    auto state = state_;
    auto result = std::make_shared<std::pair<int, play::MoveInfo>>();
    busy_ = true;
    return PromiseWorker::run(
        env,
        [state, moves, result] {
          play::GameState position = play::GameState::fromMoves(state->boardSize, moves);
          result->first = state->player->chooseMove(position);
          result->second = state->player->info();
        },
        [result](Napi::Env e) -> Napi::Value {
          Napi::Object out = infoObject(e, result->second);
          out.Set("move", result->first);
          return out;
        },
        [this] { busy_ = false; }, Value());
  }

  Napi::Value describe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!state_) throw invalid(env, "the player was disposed");
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", state_->kind);
    o.Set("boardSize", state_->boardSize);
    o.Set("network", state_->network);
    return o;
  }

  void dispose(const Napi::CallbackInfo&) { state_.reset(); }
};

// createPlayer(options): loads the network off the JS thread.
Napi::Value createPlayer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlayerSpec spec = readPlayer(env, requireObject(info, 0, "player options"));
  auto state = std::make_shared<PlayerWrap::State>();
  return PromiseWorker::run(
      env,
      [spec, state] {
        if (!spec.evaluator.checkpoint.empty()) {
          state->evaluator = play::PositionEvaluator::load(spec.evaluator);
          state->network = state->evaluator->describe();
        }
        state->boardSize = state->evaluator ? state->evaluator->boardSize() : spec.boardSize;
        hex::checkSize(state->boardSize, "board size");
        state->kind = play::playerKindName(spec.player.kind);
        state->player = play::GamePlayer::make(spec.player, state->boardSize, state->evaluator);
      },
      [state](Napi::Env e) -> Napi::Value {
        Napi::Object object = addonData(e).playerConstructor.New({});
        PlayerWrap::Unwrap(object)->state_ = state;
        return object;
      });
}

// ---- NativeMatch ---------------------------------------------------------------------

// runMatch(options, onGame): { games, boardSize, parallel, seed, randomOpening, openings, a, b }.
// Returns { done: Promise<summary>, stop(): void }.
Napi::Value runMatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = requireObject(info, 0, "match options");
  play::MatchOptions options;
  options.games = getInt(o, "games", options.games);
  options.boardSize = getInt(o, "boardSize", options.boardSize);
  options.parallel = getInt(o, "parallel", options.parallel);
  options.seed = getUint64(o, "seed", options.seed);
  options.randomOpening = getBool(o, "randomOpening", options.randomOpening);
  Napi::Value openings = o.Get("openings");
  if (openings.IsArray()) {
    Napi::Array list = openings.As<Napi::Array>();
    for (uint32_t k = 0; k < list.Length(); ++k) options.openings.push_back(readMoves(env, list.Get(k), "opening"));
  }
  Napi::Value a = o.Get("a"), b = o.Get("b");
  if (!a.IsObject() || !b.IsObject()) throw invalid(env, "match options need players a and b");
  PlayerSpec specs[2] = {readPlayer(env, a.As<Napi::Object>()), readPlayer(env, b.As<Napi::Object>())};

  auto stop = std::make_shared<std::atomic<bool>>(false);
  auto onGame = std::make_shared<Napi::ThreadSafeFunction>();
  bool hasCallback = info.Length() > 1 && info[1].IsFunction();
  if (hasCallback)
    *onGame = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "hextorch-match-game", 0, 1);
  auto summary = std::make_shared<play::MatchSummary>();
  auto networks = std::make_shared<std::string>();
  auto size = std::make_shared<int>(options.boardSize);
  Napi::Promise done = PromiseWorker::run(
      env,
      [options, specs0 = specs[0], specs1 = specs[1], stop, onGame, hasCallback, summary, networks, size]() mutable {
        // One network per distinct checkpoint: both sides' positions then share forward passes.
        std::map<std::pair<std::string, std::string>, std::shared_ptr<play::PositionEvaluator>> loaded;
        play::MatchSide sides[2];
        const PlayerSpec* specs[2] = {&specs0, &specs1};
        for (int s = 0; s < 2; ++s) {
          sides[s].player = specs[s]->player;
          const auto& e = specs[s]->evaluator;
          if (e.checkpoint.empty()) continue;
          auto& slot = loaded[{e.checkpoint, e.device}];
          if (!slot) slot = play::PositionEvaluator::load(e);
          sides[s].evaluator = slot;
        }
        for (auto& [key, evaluator] : loaded) *networks += (networks->empty() ? "" : "; ") + evaluator->describe();
        // Size 0: the networks' size (13 for two random players).
        if (options.boardSize == 0) options.boardSize = loaded.empty() ? 13 : loaded.begin()->second->boardSize();
        *size = options.boardSize;
        auto report = [&](const play::GameResult& g) {
          if (!hasCallback) return;
          auto copy = std::make_shared<play::GameResult>(g);
          int n = options.boardSize;
          onGame->BlockingCall([copy, n](Napi::Env e, Napi::Function f) { f.Call({gameObject(e, *copy, n)}); });
        };
        *summary = play::runMatch(options, sides[0], sides[1], report, stop.get());
      },
      [summary, networks, size](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        Napi::Array games = Napi::Array::New(e, summary->games.size());
        for (size_t k = 0; k < summary->games.size(); ++k)
          games.Set(static_cast<uint32_t>(k), gameObject(e, summary->games[k], *size));
        out.Set("games", games);
        out.Set("stopped", summary->stopped);
        out.Set("seconds", summary->seconds);
        out.Set("positionsEvaluated", static_cast<double>(summary->positionsEvaluated));
        out.Set("forwardPasses", static_cast<double>(summary->forwardPasses));
        out.Set("networks", *networks);
        out.Set("boardSize", *size);
        return out;
      },
      [onGame, hasCallback] {
        if (hasCallback) onGame->Release();
      });
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("done", done);
  handle.Set("stop", Napi::Function::New(
                         env, [stop](const Napi::CallbackInfo&) { stop->store(true); }, "stop"));
  return handle;
}

// ---- evaluate ----------------------------------------------------------------------

Napi::Object sumsObject(Napi::Env env, const play::MetricSums& m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("positions", static_cast<double>(m.positions));
  o.Set("policyPositions", static_cast<double>(m.policyPositions));
  o.Set("top1", static_cast<double>(m.top1));
  o.Set("top5", static_cast<double>(m.top5));
  o.Set("crossEntropySum", m.crossEntropy);
  o.Set("valueSquaredErrorSum", m.valueSquaredError);
  o.Set("valueCorrect", static_cast<double>(m.valueCorrect));
  return o;
}

// evaluateNetwork({ checkpoint, device, threads, maxBatch, data, split, records, format,
//                   maxPositions, batchSize, plyEdges }, onProgress?)
Napi::Value evaluateNetwork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = requireObject(info, 0, "evaluate options");
  play::EvaluatorOptions e;
  e.checkpoint = getString(o, "checkpoint", "");
  e.device = getString(o, "device", "cpu");
  e.threads = getInt(o, "threads", 0);
  e.maxBatch = getInt(o, "batchSize", 256);
  play::EvaluateOptions options;
  options.dataDir = getString(o, "data", "");
  options.split = getString(o, "split", options.split);
  options.recordsFile = getString(o, "records", "");
  std::string format = getString(o, "format", "trmph");
  auto parsed = hex::parseRecordFormat(format);
  if (!parsed) throw invalid(env, "format '" + format + "' is not one of trmph, moves");
  options.format = *parsed;
  options.maxPositions = getUint64(o, "maxPositions", 0);
  options.batchSize = e.maxBatch;
  Napi::Value edges = o.Get("plyEdges");
  if (edges.IsArray()) {
    options.plyEdges.clear();
    for (uint16_t edge : readMoves(env, edges, "plyEdges")) options.plyEdges.push_back(edge);
  }
  auto progress = std::make_shared<Napi::ThreadSafeFunction>();
  bool hasProgress = info.Length() > 1 && info[1].IsFunction();
  if (hasProgress)
    *progress = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "hextorch-evaluate-progress", 1, 1);
  auto result = std::make_shared<play::EvaluateResult>();
  auto network = std::make_shared<std::string>();
  return PromiseWorker::run(
      env,
      [e, options, result, network, progress, hasProgress] {
        auto evaluator = play::PositionEvaluator::load(e);
        *network = evaluator->describe();
        std::function<void(uint64_t, uint64_t)> report;
        if (hasProgress) {
          report = [progress](uint64_t done, uint64_t total) {
            progress->NonBlockingCall([done, total](Napi::Env env2, Napi::Function f) {
              f.Call({Napi::Number::New(env2, static_cast<double>(done)),
                      Napi::Number::New(env2, static_cast<double>(total))});
            });
          };
        }
        *result = play::evaluateNetwork(*evaluator, options, report);
      },
      [result, network](Napi::Env env2) -> Napi::Value {
        const play::EvaluateResult& r = *result;
        Napi::Object out = Napi::Object::New(env2);
        out.Set("boardSize", r.boardSize);
        out.Set("source", r.source);
        out.Set("network", *network);
        out.Set("games", static_cast<double>(r.games));
        out.Set("seconds", r.seconds);
        out.Set("overall", sumsObject(env2, r.overall));
        Napi::Array byPly = Napi::Array::New(env2, r.byPly.size());
        for (size_t k = 0; k < r.byPly.size(); ++k) {
          Napi::Object bucket = sumsObject(env2, r.byPly[k]);
          bucket.Set("fromPly", r.plyEdges[k]);
          bucket.Set("toPly",
                     k + 1 < r.plyEdges.size() ? Napi::Value(Napi::Number::New(env2, r.plyEdges[k + 1])) : env2.Null());
          byPly.Set(static_cast<uint32_t>(k), bucket);
        }
        out.Set("byPly", byPly);
        Napi::Array calibration = Napi::Array::New(env2, r.calibration.size());
        for (size_t k = 0; k < r.calibration.size(); ++k) {
          Napi::Object bin = Napi::Object::New(env2);
          bin.Set("count", static_cast<double>(r.calibration[k].count));
          bin.Set("predictedSum", r.calibration[k].predictedSum);
          bin.Set("redWins", static_cast<double>(r.calibration[k].redWins));
          calibration.Set(static_cast<uint32_t>(k), bin);
        }
        out.Set("calibration", calibration);
        return out;
      },
      [progress, hasProgress] {
        if (hasProgress) progress->Release();
      });
}

// encodePlanes(cells: Uint8Array [count*N*N], redToMove: Uint8Array [count], boardSize): Float32Array
Napi::Value encodePlanes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw invalid(env, "encodePlanes expects (Uint8Array cells, Uint8Array redToMove, boardSize)");
  }
  auto cells = info[0].As<Napi::Uint8Array>();
  auto redToMove = info[1].As<Napi::Uint8Array>();
  int n = info[2].As<Napi::Number>().Int32Value();
  translateErrors(env, [&] { hex::checkSize(n, "board size"); });
  size_t count = redToMove.ElementLength(), area = static_cast<size_t>(n) * n;
  if (cells.ElementLength() != count * area) {
    throw invalid(env,
                  "encodePlanes: cells must hold " + std::to_string(count) + "*" + std::to_string(area) + " bytes");
  }
  auto planes = Napi::Float32Array::New(env, count * hex::kInputPlanes * area);
  for (size_t j = 0; j < count; ++j) {
    hex::encodePlanes(static_cast<int>(area), cells.Data() + j * area,
                      redToMove[j] ? hex::Player::Red : hex::Player::Blue,
                      planes.Data() + j * hex::kInputPlanes * area);
  }
  return planes;
}

// gameWinner(boardSize, moves): 'blue' | 'red' | null after replaying the moves (throws on an illegal one).
Napi::Value gameWinner(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw invalid(env, "gameWinner expects (boardSize, moves)");
  int n = info[0].As<Napi::Number>().Int32Value();
  std::vector<uint16_t> moves = readMoves(env, info[1], "moves");
  return translateErrors(env, [&]() -> Napi::Value {
    hex::checkSize(n, "board size");
    auto winner = play::GameState::fromMoves(n, moves).winner();
    if (!winner) return env.Null();
    return Napi::String::New(env, *winner == hex::Player::Blue ? "blue" : "red");
  });
}

// matchOpening(boardSize, seed, index): the opening runMatch gives game `index`.
Napi::Value matchOpening(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
    throw invalid(env, "matchOpening expects (boardSize, seed, index)");
  play::MatchOptions o;
  o.boardSize = info[0].As<Napi::Number>().Int32Value();
  o.seed = static_cast<uint64_t>(info[1].As<Napi::Number>().DoubleValue());
  translateErrors(env, [&] { hex::checkSize(o.boardSize, "board size"); });
  return movesArray(env, play::matchOpening(o, info[2].As<Napi::Number>().Int32Value()));
}

}  // namespace

void registerPlay(Napi::Env env, Napi::Object exports) {
  Napi::Function player = PlayerWrap::define(env);
  addonData(env).playerConstructor = Napi::Persistent(player);
  exports.Set("NativePlayer", player);
  exports.Set("createPlayer", Napi::Function::New(env, createPlayer, "createPlayer"));
  exports.Set("runMatch", Napi::Function::New(env, runMatch, "runMatch"));
  exports.Set("evaluateNetwork", Napi::Function::New(env, evaluateNetwork, "evaluateNetwork"));
  exports.Set("matchOpening", Napi::Function::New(env, matchOpening, "matchOpening"));
  exports.Set("gameWinner", Napi::Function::New(env, gameWinner, "gameWinner"));
  exports.Set("encodePlanes", Napi::Function::New(env, encodePlanes, "encodePlanes"));
}

}  // namespace hextorch::binding
