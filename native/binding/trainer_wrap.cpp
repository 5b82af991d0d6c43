#include "trainer_wrap.h"

#include <cstring>

#include "addon_data.h"
#include "batch_wrap.h"
#include "communicator_wrap.h"
#include "convert.h"
#include "errors.h"
#include "promise_worker.h"
#include "util/error.h"

namespace hextorch::binding {
namespace {

train::TrainerOptions readOptions(Napi::Env env, const Napi::Object& o) {
  train::TrainerOptions t;
  if (o.Has("communicator") && !o.Get("communicator").IsUndefined())
    t.communicator = CommunicatorWrap::unwrap(env, o.Get("communicator"));
  t.syncBatchNorm = getBool(o, "syncBatchNorm", false);
  t.preset = getString(o, "model", t.preset);
  t.boardSize = getInt(o, "boardSize", t.boardSize);
  t.initFrom = getString(o, "initFrom", t.initFrom);
  t.blocks = getInt(o, "blocks", t.blocks);
  t.channels = getInt(o, "channels", t.channels);
  t.dropout = getNumber(o, "dropout", t.dropout);
  t.device = getString(o, "device", t.device);
  t.precision = getString(o, "precision", t.precision);
  t.threads = getInt(o, "threads", t.threads);
  t.optimizer = getString(o, "optimizer", t.optimizer);
  t.learningRate = getNumber(o, "learningRate", t.learningRate);
  t.weightDecay = getNumber(o, "weightDecay", t.weightDecay);
  t.momentum = getNumber(o, "momentum", t.momentum);
  t.valueHeadLrFactor = getNumber(o, "valueHeadLrFactor", t.valueHeadLrFactor);
  t.valueHeadWeightDecayFactor = getNumber(o, "valueHeadWeightDecayFactor", t.valueHeadWeightDecayFactor);
  t.gradientClip = getNumber(o, "gradientClip", t.gradientClip);
  t.policyWeight = getNumber(o, "policyWeight", t.policyWeight);
  t.valueWeight = getNumber(o, "valueWeight", t.valueWeight);
  t.seed = getUint64(o, "seed", t.seed);
  Napi::Value schedule = o.Get("schedule");
  if (schedule.IsObject()) {
    Napi::Object s = schedule.As<Napi::Object>();
    t.schedule.kind = getString(s, "kind", t.schedule.kind);
    t.schedule.warmupSteps = getInt(s, "warmupSteps", 0);
    t.schedule.totalSteps = getInt(s, "totalSteps", 0);
    t.schedule.minFactor = getNumber(s, "minFactor", 0.0);
    t.schedule.stepSize = getInt(s, "stepSize", 0);
    t.schedule.gamma = getNumber(s, "gamma", 0.1);
  }
  return t;
}

Napi::Object metricsObject(Napi::Env env, const train::MetricSums& m) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("policyLossSum", m.policyLoss);
  out.Set("policyCount", static_cast<double>(m.policyCount));
  out.Set("policyCorrect", static_cast<double>(m.policyCorrect));
  out.Set("valueLossSum", m.valueLoss);
  out.Set("valueCorrect", static_cast<double>(m.valueCorrect));
  out.Set("samples", static_cast<double>(m.samples));
  out.Set("batches", static_cast<double>(m.batches));
  out.Set("nonFiniteStep", static_cast<double>(m.nonFiniteStep));
  return out;
}

}  // namespace

Napi::Function TrainerWrap::define(Napi::Env env) {
  return DefineClass(
      env, "NativeTrainer",
      {InstanceMethod<&TrainerWrap::trainStep>("trainStep"),
       InstanceMethod<&TrainerWrap::takeTrainMetrics>("takeTrainMetrics"),
       InstanceMethod<&TrainerWrap::evaluateBatch>("evaluateBatch"),
       InstanceMethod<&TrainerWrap::takeEvalMetrics>("takeEvalMetrics"),
       InstanceMethod<&TrainerWrap::predict>("predict"), InstanceMethod<&TrainerWrap::save>("save"),
       InstanceMethod<&TrainerWrap::load>("load"), InstanceMethod<&TrainerWrap::weightsDigest>("weightsDigest"),
       InstanceMethod<&TrainerWrap::state>("state"), InstanceMethod<&TrainerWrap::describe>("describe"),
       InstanceMethod<&TrainerWrap::requestStop>("requestStop"), InstanceMethod<&TrainerWrap::stopAgreed>("stopAgreed"),
       InstanceMethod<&TrainerWrap::dispose>("dispose")});
}

TrainerWrap::TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {}

Napi::Value TrainerWrap::create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  train::TrainerOptions options = readOptions(env, requireObject(info, 0, "trainer options"));
  auto result = std::make_shared<std::shared_ptr<train::Trainer>>();
  auto executor = std::make_shared<SerialExecutor>();
  return PromiseWorker::run(
      env, [options, result, executor] { executor->run([&] { *result = std::make_shared<train::Trainer>(options); }); },
      [result, executor](Napi::Env e) -> Napi::Value {
        Napi::Object object = addonData(e).trainerConstructor.New({});
        Unwrap(object)->published_->set((*result)->state());  // no call runs yet
        Unwrap(object)->trainer_ = std::move(*result);
        Unwrap(object)->executor_ = executor;
        return object;
      });
}

std::function<void()> TrainerWrap::onTrainerThread(std::shared_ptr<train::Trainer> trainer, Job job) const {
  return [executor = executor_, published = published_, trainer = std::move(trainer), job = std::move(job)] {
    executor->run([&] {
      try {
        job(*trainer);
      } catch (...) {
        published->set(trainer->state());
        throw;
      }
      published->set(trainer->state());
    });
  };
}

std::shared_ptr<train::Trainer> TrainerWrap::get(Napi::Env env) const {
  if (!trainer_) throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "the trainer was disposed"});
  return trainer_;
}

std::shared_ptr<train::Trainer> TrainerWrap::begin(Napi::Env env, const char* what) {
  auto trainer = get(env);
  if (busy_) {
    throw makeError(env, {errorCodeName(ErrorCode::Busy),
                          std::string(what) + "() was called while another trainer call is in flight; await it first"});
  }
  busy_ = true;
  return trainer;
}

Napi::Value TrainerWrap::batchCall(const Napi::CallbackInfo& info, const char* what,
                                   void (train::Trainer::*call)(const data::Batch&)) {
  Napi::Env env = info.Env();
  auto batch = BatchWrap::unwrap(env, info[0]);
  auto trainer = begin(env, what);
  return PromiseWorker::run(
      env, onTrainerThread(trainer, [batch, call](train::Trainer& t) { (t.*call)(*batch); }), nullptr,
      [this] { busy_ = false; }, Value());
}

Napi::Value TrainerWrap::trainStep(const Napi::CallbackInfo& info) {
  return batchCall(info, "trainStep", &train::Trainer::trainStep);
}

Napi::Value TrainerWrap::evaluateBatch(const Napi::CallbackInfo& info) {
  return batchCall(info, "evaluateBatch", &train::Trainer::evaluateBatch);
}

Napi::Value TrainerWrap::takeMetrics(Napi::Env env, const char* what, train::MetricSums (train::Trainer::*take)()) {
  auto trainer = begin(env, what);
  auto result = std::make_shared<train::MetricSums>();
  return PromiseWorker::run(
      env, onTrainerThread(trainer, [result, take](train::Trainer& t) { *result = (t.*take)(); }),
      [result](Napi::Env e) -> Napi::Value { return metricsObject(e, *result); }, [this] { busy_ = false; }, Value());
}

Napi::Value TrainerWrap::takeTrainMetrics(const Napi::CallbackInfo& info) {
  return takeMetrics(info.Env(), "takeTrainMetrics", &train::Trainer::takeTrainMetrics);
}

Napi::Value TrainerWrap::takeEvalMetrics(const Napi::CallbackInfo& info) {
  return takeMetrics(info.Env(), "takeEvalMetrics", &train::Trainer::takeEvalMetrics);
}

// predict(planes: Float32Array [count*3*N*N], count)
Napi::Value TrainerWrap::predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      !info[1].IsNumber()) {
    throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "predict expects (Float32Array planes, count)"});
  }
  auto array = info[0].As<Napi::Float32Array>();
  int count = info[1].As<Napi::Number>().Int32Value();
  auto trainer = get(env);
  int n = trainer->options().boardSize;
  if (count < 1 || array.ElementLength() != static_cast<size_t>(count) * 3 * n * n) {
    throw makeError(env,
                    {errorCodeName(ErrorCode::InvalidArgument),
                     "predict: planes must hold count*3*" + std::to_string(n) + "*" + std::to_string(n) + " floats"});
  }
  auto planes = std::make_shared<std::vector<float>>(array.Data(), array.Data() + array.ElementLength());
  begin(env, "predict");
  auto result = std::make_shared<train::Prediction>();
  return PromiseWorker::run(
      env,
      onTrainerThread(trainer,
                      [planes, count, result](train::Trainer& t) { *result = t.predict(planes->data(), count); }),
      [result](Napi::Env e) -> Napi::Value {
        auto policy = Napi::Float32Array::New(e, result->policy.size());
        std::memcpy(policy.Data(), result->policy.data(), result->policy.size() * sizeof(float));
        auto value = Napi::Float32Array::New(e, result->value.size());
        std::memcpy(value.Data(), result->value.data(), result->value.size() * sizeof(float));
        auto logits = Napi::Float32Array::New(e, result->logits.size());
        std::memcpy(logits.Data(), result->logits.data(), result->logits.size() * sizeof(float));
        Napi::Object out = Napi::Object::New(e);
        out.Set("policy", policy);
        out.Set("value", value);
        out.Set("logits", logits);
        return out;
      },
      [this] { busy_ = false; }, Value());
}

Napi::Value TrainerWrap::save(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsString()) {
    throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "save expects (path, extraJson)"});
  }
  std::string path = info[0].As<Napi::String>(), extra = info[1].As<Napi::String>();
  auto trainer = begin(env, "save");
  auto digest = std::make_shared<train::FileDigest>();
  return PromiseWorker::run(
      env, onTrainerThread(trainer, [path, extra, digest](train::Trainer& t) { *digest = t.save(path, extra); }),
      [digest](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("bytes", static_cast<double>(digest->bytes));
        out.Set("sha256", digest->sha256);
        const train::WriteProfile& p = digest->profile;
        Napi::Object profile = Napi::Object::New(e);
        profile.Set("totalSeconds", p.totalSeconds);
        profile.Set("serialiseSeconds", p.serialiseSeconds);
        profile.Set("writeSeconds", p.writeSeconds);
        profile.Set("hashSeconds", p.hashSeconds);
        profile.Set("hashWaitSeconds", p.hashWaitSeconds);
        profile.Set("syncSeconds", p.syncSeconds);
        profile.Set("writerCpuSeconds", p.writerCpuSeconds);
        profile.Set("hashCpuSeconds", p.hashCpuSeconds);
        out.Set("profile", profile);
        return out;
      },
      [this] { busy_ = false; }, Value());
}

Napi::Value TrainerWrap::load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString())
    throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "load expects (path, expected?)"});
  std::string path = info[0].As<Napi::String>();
  // expected: { bytes, sha256 } from the checkpoint's manifest, checked while reading.
  std::shared_ptr<train::FileDigest> expected;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    expected = std::make_shared<train::FileDigest>();
    expected->bytes = getUint64(o, "bytes", 0);
    expected->sha256 = getString(o, "sha256", "");
  }
  auto trainer = begin(env, "load");
  auto extra = std::make_shared<std::string>();
  return PromiseWorker::run(
      env,
      onTrainerThread(trainer, [path, expected, extra](train::Trainer& t) { *extra = t.load(path, expected.get()); }),
      [extra](Napi::Env e) -> Napi::Value { return Napi::String::New(e, *extra); }, [this] { busy_ = false; }, Value());
}

Napi::Value TrainerWrap::weightsDigest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto trainer = begin(env, "weightsDigest");
  auto digest = std::make_shared<std::string>();
  return PromiseWorker::run(
      env, onTrainerThread(trainer, [digest](train::Trainer& t) { *digest = t.weightsDigest(); }),
      [digest](Napi::Env e) -> Napi::Value { return Napi::String::New(e, *digest); }, [this] { busy_ = false; },
      Value());
}

Napi::Value TrainerWrap::state(const Napi::CallbackInfo& info) {
  get(info.Env());  // throws when disposed
  train::TrainerState s = published_->get();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("step", static_cast<double>(s.step));
  out.Set("samples", static_cast<double>(s.samples));
  out.Set("learningRate", s.learningRate);
  out.Set("stepSeconds", s.stepSeconds);
  out.Set("allReduceBytesPerStep", static_cast<double>(s.allReduceBytesPerStep));
  out.Set("allReduceWaitSeconds", s.allReduceWaitSeconds);
  return out;
}

// Thread-safe flags: no trainer call needed, so they work while a step is in flight.
void TrainerWrap::requestStop(const Napi::CallbackInfo& info) { get(info.Env())->requestStop(info[0].ToBoolean()); }
Napi::Value TrainerWrap::stopAgreed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), get(info.Env())->stopAgreed());
}

Napi::Value TrainerWrap::describe(const Napi::CallbackInfo& info) {
  auto trainer = get(info.Env());
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("device", trainer->deviceName());
  out.Set("precision", trainer->precision());
  out.Set("precisionReason", trainer->precisionReason());
  out.Set("parameters", static_cast<double>(trainer->parameterCount()));
  out.Set("model", trainer->options().preset);
  out.Set("boardSize", trainer->options().boardSize);
  return out;
}

void TrainerWrap::dispose(const Napi::CallbackInfo&) {
  // A call in flight holds its own references; the thread ends with the last of them.
  trainer_.reset();
  executor_.reset();
}

}  // namespace hextorch::binding
