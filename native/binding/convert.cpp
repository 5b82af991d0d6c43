#include "convert.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace hextorch::binding {
namespace {

Napi::Value field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v;
}

[[noreturn]] void typeError(const Napi::Object& o, const char* key, const char* expected) {
  Napi::TypeError error = Napi::TypeError::New(o.Env(), std::string("option '") + key + "' must be " + expected);
  error.Set("code", Napi::String::New(o.Env(), "HEXTORCH_INVALID_ARGUMENT"));
  throw error;
}

}  // namespace

double getNumber(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = field(o, key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) typeError(o, key, "a number");
  return v.As<Napi::Number>().DoubleValue();
}

int getInt(const Napi::Object& o, const char* key, int fallback) {
  double d = getNumber(o, key, fallback);
  if (!std::isfinite(d) || d != std::floor(d) || std::abs(d) > 2147483647.0) typeError(o, key, "an integer");
  return static_cast<int>(d);
}

uint64_t getUint64(const Napi::Object& o, const char* key, uint64_t fallback) {
  double d = getNumber(o, key, static_cast<double>(fallback));
  if (!std::isfinite(d) || d < 0 || d != std::floor(d) || d > 9007199254740991.0)
    typeError(o, key, "a non-negative integer");
  return static_cast<uint64_t>(d);
}

bool getBool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = field(o, key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) typeError(o, key, "a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string getString(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = field(o, key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) typeError(o, key, "a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<std::string> getStrings(const Napi::Object& o, const char* key) {
  Napi::Value v = field(o, key);
  std::vector<std::string> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsArray()) typeError(o, key, "an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value item = a.Get(i);
    if (!item.IsString()) typeError(o, key, "an array of strings");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

Napi::Object requireObject(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsObject()) {
    Napi::TypeError error = Napi::TypeError::New(info.Env(), std::string(what) + " must be an object");
    error.Set("code", Napi::String::New(info.Env(), "HEXTORCH_INVALID_ARGUMENT"));
    throw error;
  }
  return info[index].As<Napi::Object>();
}

}  // namespace hextorch::binding

namespace hextorch::binding {

Napi::Value fromJson(Napi::Env env, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return env.Null();
    case nlohmann::json::value_t::boolean:
      return Napi::Boolean::New(env, value.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return Napi::Number::New(env, value.get<double>());
    case nlohmann::json::value_t::string:
      return Napi::String::New(env, value.get<std::string>());
    case nlohmann::json::value_t::array: {
      Napi::Array out = Napi::Array::New(env, value.size());
      for (size_t i = 0; i < value.size(); ++i) out.Set(static_cast<uint32_t>(i), fromJson(env, value[i]));
      return out;
    }
    case nlohmann::json::value_t::object: {
      Napi::Object out = Napi::Object::New(env);
      for (const auto& [key, item] : value.items()) out.Set(key, fromJson(env, item));
      return out;
    }
    default:
      return env.Undefined();
  }
}

}  // namespace hextorch::binding
