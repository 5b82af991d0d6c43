#include "data_loader_wrap.h"

#include "batch_wrap.h"
#include "convert.h"
#include "errors.h"
#include "promise_worker.h"
#include "util/error.h"

namespace hextorch::binding {
namespace {

data::Augment parseAugment(Napi::Env env, const std::string& name) {
  if (name == "all") return data::Augment::All;
  if (name == "random") return data::Augment::Random;
  if (name == "none") return data::Augment::None;
  throw makeError(
      env, {errorCodeName(ErrorCode::InvalidArgument), "augment '" + name + "' is not one of all, random, none"});
}

}  // namespace

Napi::Function DataLoaderWrap::define(Napi::Env env) {
  return DefineClass(
      env, "NativeDataLoader",
      {InstanceMethod<&DataLoaderWrap::next>("next"), InstanceMethod<&DataLoaderWrap::tryNext>("tryNext"),
       InstanceMethod<&DataLoaderWrap::cursor>("cursor"), InstanceMethod<&DataLoaderWrap::seek>("seek"),
       InstanceMethod<&DataLoaderWrap::describe>("describe"), InstanceMethod<&DataLoaderWrap::dispose>("dispose")});
}

// new NativeDataLoader({ dir | shards, split, batchSize, augment, shuffle, seed, dropLast, workers, prefetch,
// maxBatches, rank, worldSize })
DataLoaderWrap::DataLoaderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DataLoaderWrap>(info) {
  Napi::Env env = info.Env();
  Napi::Object o = requireObject(info, 0, "data loader options");
  data::StreamOptions options;
  options.batchSize = getInt(o, "batchSize", 256);
  options.augment = parseAugment(env, getString(o, "augment", "all"));
  options.shuffle = getBool(o, "shuffle", true);
  options.seed = getUint64(o, "seed", 1);
  options.dropLast = getBool(o, "dropLast", false);
  options.workers = getInt(o, "workers", 0);
  options.prefetch = getInt(o, "prefetch", 0);
  options.maxBatches = getInt(o, "maxBatches", -1);
  options.rank = getInt(o, "rank", 0);
  options.worldSize = getInt(o, "worldSize", 1);
  std::string dir = getString(o, "dir", "");
  std::string split = getString(o, "split", "train");
  std::vector<std::string> shards = getStrings(o, "shards");
  stream_ = translateErrors(env, [&] {
    auto dataset = shards.empty()
                       ? data::Dataset::open(dir, split == "validation" ? data::Split::Validation : data::Split::Train)
                       : data::Dataset::fromShards(shards);
    return std::make_shared<data::BatchStream>(dataset, options);
  });
}

std::shared_ptr<data::BatchStream> DataLoaderWrap::get(Napi::Env env) const {
  if (!stream_) throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "the data loader was disposed"});
  return stream_;
}

Napi::Value DataLoaderWrap::next(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto stream = get(env);
  if (busy_)
    throw makeError(env, {errorCodeName(ErrorCode::Busy), "next() was called while another next() is in flight"});
  busy_ = true;
  auto result = std::make_shared<std::shared_ptr<data::Batch>>();
  return PromiseWorker::run(
      env, [stream, result] { *result = stream->next(); },
      [result](Napi::Env e) -> Napi::Value {
        if (!*result) return e.Null();
        return BatchWrap::create(e, std::move(*result));
      },
      [this] { busy_ = false; }, Value());
}

// A batch that is already built is handed over at once, without a trip through the
// thread pool: undefined when none is ready yet, null when the epoch has no batches.
Napi::Value DataLoaderWrap::tryNext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto stream = get(env);
  if (busy_) throw makeError(env, {errorCodeName(ErrorCode::Busy), "tryNext() was called while next() is in flight"});
  bool ready = false;
  auto batch = translateErrors(env, [&] { return stream->tryNext(&ready); });
  if (!ready) return env.Undefined();
  if (!batch) return env.Null();
  return BatchWrap::create(env, std::move(batch));
}

Napi::Value DataLoaderWrap::cursor(const Napi::CallbackInfo& info) {
  data::Cursor c = get(info.Env())->cursor();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("epoch", static_cast<double>(c.epoch));
  out.Set("batch", static_cast<double>(c.batch));
  return out;
}

void DataLoaderWrap::seek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto stream = get(env);
  if (busy_) throw makeError(env, {errorCodeName(ErrorCode::Busy), "seek() was called while next() is in flight"});
  Napi::Object o = requireObject(info, 0, "cursor");
  data::Cursor c{getUint64(o, "epoch", 0), getUint64(o, "batch", 0)};
  translateErrors(env, [&] { stream->seek(c); });
}

Napi::Value DataLoaderWrap::describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto stream = get(env);
  Napi::Object out = Napi::Object::New(env);
  out.Set("batchesPerEpoch", static_cast<double>(stream->batchesPerEpoch()));
  out.Set("examplesPerEpoch", static_cast<double>(stream->examplesPerEpoch()));
  out.Set("positions", static_cast<double>(stream->dataset().size()));
  out.Set("boardSize", stream->dataset().boardSize());
  out.Set("fingerprint", stream->dataset().fingerprint());
  out.Set("workers", stream->options().workers);
  return out;
}

void DataLoaderWrap::dispose(const Napi::CallbackInfo&) { stream_.reset(); }

}  // namespace hextorch::binding
