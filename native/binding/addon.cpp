// Module entry: registers the classes and the free functions (info, import, generate,
// inspect). Each function reads its options, runs the core off the JS thread when it
// can take long, and converts the result.
#include <napi.h>

#include <nlohmann/json.hpp>

#include "addon_data.h"
#include "batch_wrap.h"
#include "communicator_wrap.h"
#include "convert.h"
#include "data/dataset.h"
#include "data/importer.h"
#include "data_loader_wrap.h"
#include "errors.h"
#include "play_wrap.h"
#include "export_wrap.h"
#include "promise_worker.h"
#include "run_lock_wrap.h"
#include "runtime/info.h"
#include "train_rules_wrap.h"
#include "trainer_wrap.h"
#include "util/error.h"
#include "util/memory.h"

namespace hextorch::binding {
namespace {

Napi::Value info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  runtime::Info i = translateErrors(env, [] { return runtime::collectInfo(); });
  Napi::Object out = Napi::Object::New(env);
  out.Set("torchVersion", i.torchVersion);
  out.Set("cudaAvailable", i.cudaAvailable);
  out.Set("cudaDeviceCount", i.cudaDeviceCount);
  Napi::Array devices = Napi::Array::New(env, i.cudaDevices.size());
  for (size_t k = 0; k < i.cudaDevices.size(); ++k) devices.Set(static_cast<uint32_t>(k), i.cudaDevices[k]);
  out.Set("cudaDevices", devices);
  out.Set("cudnnVersion",
          i.cudnnVersion > 0 ? Napi::Value(Napi::Number::New(env, static_cast<double>(i.cudnnVersion))) : env.Null());
  out.Set("threads", i.threads);
  out.Set("buildType", i.buildType);
  auto optionalString = [&](const std::optional<std::string>& s) {
    return s ? Napi::Value(Napi::String::New(env, *s)) : env.Null();
  };
  out.Set("ompWaitPolicy", optionalString(i.ompWaitPolicy));
  out.Set("gompSpinCount", optionalString(i.gompSpinCount));
  Napi::Object arenas = Napi::Object::New(env);
  arenas.Set("glibc", i.mallocArenas.glibc);
  arenas.Set("cap", i.mallocArenas.cap > 0 ? Napi::Value(Napi::Number::New(env, i.mallocArenas.cap)) : env.Null());
  arenas.Set("userSetting", optionalString(i.mallocArenas.userSetting));
  out.Set("mallocArenas", arenas);
  return out;
}

data::BuildOptions readBuild(const Napi::Object& o) {
  data::BuildOptions b;
  b.outDir = getString(o, "out", "");
  b.valFraction = getNumber(o, "valFraction", b.valFraction);
  b.seed = getUint64(o, "seed", b.seed);
  b.shardRecords = getUint64(o, "shardRecords", b.shardRecords);
  return b;
}

Napi::Object buildObject(Napi::Env env, const data::BuildSummary& b, int boardSize, double seconds) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("boardSize", boardSize);
  out.Set("games", static_cast<double>(b.games));
  out.Set("trainGames", static_cast<double>(b.trainGames));
  out.Set("validationGames", static_cast<double>(b.validationGames));
  out.Set("positions", static_cast<double>(b.positions));
  out.Set("trainPositions", static_cast<double>(b.trainPositions));
  out.Set("validationPositions", static_cast<double>(b.validationPositions));
  out.Set("blueWins", static_cast<double>(b.blueWins));
  out.Set("redWins", static_cast<double>(b.redWins));
  out.Set("bytes", static_cast<double>(b.bytes));
  out.Set("shards", static_cast<double>(b.shards));
  out.Set("seconds", seconds);
  return out;
}

// importRecords({ format, inputs, out, boardSize, onInvalid, keepDuplicates, valFraction, seed }, onProgress?)
Napi::Value importRecords(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = requireObject(info, 0, "import options");
  data::ImportOptions options;
  std::string format = getString(o, "format", "moves");
  auto parsed = hex::parseRecordFormat(format);
  if (!parsed)
    throw makeError(
        env, {errorCodeName(ErrorCode::InvalidArgument), "format '" + format + "' is not one of trmph, moves, sgf"});
  options.format = *parsed;
  options.inputs = getStrings(o, "inputs");
  options.boardSize = getInt(o, "boardSize", 0);
  options.onInvalid = getString(o, "onInvalid", "fail") == "skip" ? data::OnInvalid::Skip : data::OnInvalid::Fail;
  options.keepDuplicates = getBool(o, "keepDuplicates", false);
  options.onlyResignOrConnection = getBool(o, "onlyResignOrConnection", false);
  options.build = readBuild(o);

  auto progress = std::make_shared<Napi::ThreadSafeFunction>();
  bool hasProgress = info.Length() > 1 && info[1].IsFunction();
  if (hasProgress)
    *progress = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "hextorch-import-progress", 1, 1);
  auto summary = std::make_shared<data::ImportSummary>();
  return PromiseWorker::run(
      env,
      [options, summary, progress, hasProgress] {
        data::ImportProgress report;
        if (hasProgress) {
          report = [progress](uint64_t done, uint64_t total) {
            progress->NonBlockingCall([done, total](Napi::Env e, Napi::Function f) {
              f.Call(
                  {Napi::Number::New(e, static_cast<double>(done)), Napi::Number::New(e, static_cast<double>(total))});
            });
          };
        }
        *summary = data::importRecords(options, report);
      },
      [summary](Napi::Env e) -> Napi::Value {
        Napi::Object out = buildObject(e, summary->build, summary->boardSize, summary->seconds);
        out.Set("recordsRead", static_cast<double>(summary->recordsRead));
        out.Set("gamesImported", static_cast<double>(summary->gamesImported));
        out.Set("duplicates", static_cast<double>(summary->duplicates));
        Napi::Object skipped = Napi::Object::New(e);
        for (const auto& [kind, count] : summary->skippedByReason) skipped.Set(kind, static_cast<double>(count));
        out.Set("skippedByReason", skipped);
        Napi::Array invalid = Napi::Array::New(e, summary->invalid.size());
        for (size_t k = 0; k < summary->invalid.size(); ++k) {
          Napi::Object item = Napi::Object::New(e);
          item.Set("file", summary->invalid[k].file);
          item.Set("line", static_cast<double>(summary->invalid[k].line));
          item.Set("kind", summary->invalid[k].kind);
          item.Set("reason", summary->invalid[k].reason);
          invalid.Set(static_cast<uint32_t>(k), item);
        }
        out.Set("invalid", invalid);
        return out;
      },
      [progress, hasProgress] {
        if (hasProgress) progress->Release();
      });
}

// isRecordFile(format, name): whether an archive entry holds records of the format
// (the rule input directories follow).
Napi::Value isRecordFile(const Napi::CallbackInfo& info) {
  auto format = hex::parseRecordFormat(info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "");
  std::string name = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  return Napi::Boolean::New(info.Env(), format && hex::isRecordFileName(*format, name));
}

// generateDataset({ games, boardSize, seed, out, valFraction })
Napi::Value generateDataset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = requireObject(info, 0, "generate options");
  data::GenerateOptions options;
  options.games = getUint64(o, "games", options.games);
  options.boardSize = getInt(o, "boardSize", options.boardSize);
  options.seed = getUint64(o, "seed", options.seed);
  options.build = readBuild(o);
  options.build.seed = options.seed;
  auto summary = std::make_shared<data::GenerateSummary>();
  return PromiseWorker::run(
      env, [options, summary] { *summary = data::generateDataset(options); },
      [summary](Napi::Env e) -> Napi::Value {
        return buildObject(e, summary->build, summary->boardSize, summary->seconds);
      });
}

Napi::Object splitObject(Napi::Env env, const data::Dataset& ds) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("positions", static_cast<double>(ds.size()));
  out.Set("fingerprint", ds.fingerprint());
  Napi::Array shards = Napi::Array::New(env, ds.shards().size());
  for (size_t k = 0; k < ds.shards().size(); ++k) {
    const auto& shard = *ds.shards()[k];
    Napi::Object s = Napi::Object::New(env);
    s.Set("path", shard.path());
    s.Set("records", static_cast<double>(shard.recordCount()));
    s.Set("version", shard.header().version);
    s.Set("boardSize", shard.header().boardSize);
    s.Set("recordSize", shard.header().recordSize);
    s.Set("blockRecords", shard.header().blockRecords);
    s.Set("validation", (shard.header().flags & data::kShardFlagValidation) != 0);
    shards.Set(static_cast<uint32_t>(k), s);
  }
  out.Set("shards", shards);
  return out;
}

// inspectDataset({ dir | shard, verify }): headers and counts; with verify, every block.
Napi::Value inspectDataset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = requireObject(info, 0, "inspect options");
  std::string dir = getString(o, "dir", ""), shard = getString(o, "shard", "");
  bool verify = getBool(o, "verify", true);
  struct Result {
    std::shared_ptr<data::Dataset> train, validation;
    std::unique_ptr<data::Manifest> manifest;
  };
  auto result = std::make_shared<Result>();
  return PromiseWorker::run(
      env,
      [dir, shard, verify, result] {
        if (!shard.empty()) {
          result->train = data::Dataset::fromShards({shard});
        } else {
          result->manifest = std::make_unique<data::Manifest>(data::readManifest(dir));
          result->train = data::Dataset::open(dir, data::Split::Train);
          result->validation = data::Dataset::open(dir, data::Split::Validation);
        }
        if (verify) {
          for (auto* ds : {result->train.get(), result->validation.get()})
            if (ds)
              for (const auto& s : ds->shards()) s->verifyAll();
        }
      },
      [result](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("boardSize", result->train->boardSize());
        out.Set("train", splitObject(e, *result->train));
        if (result->validation) out.Set("validation", splitObject(e, *result->validation));
        if (const auto* m = result->manifest.get()) {
          Napi::Object manifest = Napi::Object::New(e);
          Napi::Object games = Napi::Object::New(e);
          games.Set("total", static_cast<double>(m->games));
          games.Set("blueWins", static_cast<double>(m->blueWins));
          games.Set("redWins", static_cast<double>(m->redWins));
          manifest.Set("games", games);
          manifest.Set("trainGames", static_cast<double>(m->train.games));
          manifest.Set("validationGames", static_cast<double>(m->validation.games));
          manifest.Set("seed", static_cast<double>(m->seed));
          manifest.Set("valFraction", m->valFraction);
          manifest.Set("source", fromJson(e, m->source));
          out.Set("manifest", manifest);
        }
        return out;
      });
}

// readPosition({ dir | shard, split, index }): one decoded record.
Napi::Value readPosition(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = requireObject(info, 0, "position options");
  std::string dir = getString(o, "dir", ""), shard = getString(o, "shard", "");
  std::string split = getString(o, "split", "train");
  uint64_t index = getUint64(o, "index", 0);
  return translateErrors(env, [&]() -> Napi::Value {
    auto ds = shard.empty()
                  ? data::Dataset::open(dir, split == "validation" ? data::Split::Validation : data::Split::Train)
                  : data::Dataset::fromShards({shard});
    if (index >= ds->size()) {
      throw Error(ErrorCode::InvalidArgument,
                  "position " + std::to_string(index) + " is past the " + std::to_string(ds->size()) + " positions");
    }
    std::vector<uint8_t> record(ds->layout().recordSize), scratch;
    ds->read(index, 1, record.data(), scratch);
    data::Position p = data::decodePosition(ds->layout(), record.data());
    Napi::Object out = Napi::Object::New(env);
    auto cells = Napi::Uint8Array::New(env, ds->layout().cells);
    for (int i = 0; i < ds->layout().cells; ++i) cells[i] = p.cells[i];
    out.Set("boardSize", p.boardSize);
    out.Set("cells", cells);
    out.Set("toMove", p.toMove == hex::Player::Blue ? "blue" : "red");
    out.Set("policy", p.policy == data::kNoPolicy ? env.Null() : Napi::Value(Napi::Number::New(env, p.policy)));
    out.Set("value", static_cast<double>(p.value));
    out.Set("game", static_cast<double>(p.game));
    out.Set("ply", static_cast<double>(p.ply));
    return out;
  });
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  shareMallocArenas();  // before the loaders' and the trainer's threads start
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  Napi::Function batch = BatchWrap::define(env);
  Napi::Function trainer = TrainerWrap::define(env);
  data->batchConstructor = Napi::Persistent(batch);
  data->trainerConstructor = Napi::Persistent(trainer);
  exports.Set("NativeDataLoader", DataLoaderWrap::define(env));
  exports.Set("NativeBatch", batch);
  exports.Set("NativeTrainer", trainer);
  exports.Set("createTrainer", Napi::Function::New(env, TrainerWrap::create, "createTrainer"));
  Napi::Function communicator = CommunicatorWrap::define(env);
  data->communicatorConstructor = Napi::Persistent(communicator);
  exports.Set("NativeCommunicator", communicator);
  exports.Set("connectDistributed", Napi::Function::New(env, CommunicatorWrap::connect, "connectDistributed"));
  exports.Set("distributedAvailable", Napi::Function::New(env, CommunicatorWrap::availability, "distributedAvailable"));
  exports.Set("info", Napi::Function::New(env, binding::info, "info"));
  exports.Set("importRecords", Napi::Function::New(env, importRecords, "importRecords"));
  exports.Set("generateDataset", Napi::Function::New(env, generateDataset, "generateDataset"));
  exports.Set("inspectDataset", Napi::Function::New(env, inspectDataset, "inspectDataset"));
  exports.Set("readPosition", Napi::Function::New(env, readPosition, "readPosition"));
  registerRunLock(env, exports);
  registerPlay(env, exports);
  exports.Set("isRecordFile", Napi::Function::New(env, isRecordFile, "isRecordFile"));
  registerExport(env, exports);
  registerTrainRules(env, exports);
  return exports;
}

}  // namespace
}  // namespace hextorch::binding

static Napi::Object initHextorch(Napi::Env env, Napi::Object exports) { return hextorch::binding::init(env, exports); }

NODE_API_MODULE(hextorch, initHextorch)
