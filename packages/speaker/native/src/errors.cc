#include "errors.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <uv.h>

#include <cerrno>
#include <cstring>

namespace herald {

namespace {

std::string ErrnoName(int err) {
  char buf[64];
  // libuv knows the common names and spells them as Node does; glibc knows the rest.
  uv_err_name_r(-err, buf, sizeof buf);
  if (std::strncmp(buf, "Unknown", 7) != 0) return buf;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* name = strerrorname_np(err)) return name;
#endif
  return "E" + std::to_string(err);
}

Napi::Error WithCode(Napi::Error error, const char* code) {
  error.Set("code", Napi::String::New(error.Env(), code));
  return error;
}

}  // namespace

Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const std::string& context,
                        const std::string& ifname, const std::string& detail, const std::string& note) {
  const std::string code = ErrnoName(err);
  std::string message = context + ": " + syscall;
  if (!detail.empty()) message += "(" + detail + ")";
  message += " failed: " + std::string(std::strerror(err)) + " (" + code + ")";
  if (!note.empty()) message += ": " + note;
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  error.Set("interface", Napi::String::New(env, ifname));
  return error;
}

void ThrowTypeError(Napi::Env env, const std::string& message) {
  WithCode(Napi::TypeError::New(env, message), "ERR_INVALID_ARG_TYPE").ThrowAsJavaScriptException();
}

void ThrowRangeError(Napi::Env env, const std::string& message) {
  WithCode(Napi::RangeError::New(env, message), "ERR_INVALID_ARG_VALUE").ThrowAsJavaScriptException();
}

bool InterfaceNameArg(const Napi::CallbackInfo& info, const char* kind, std::string* ifname) {
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowTypeError(info.Env(), std::string(kind) + ": the interface name must be a string");
    return false;
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('\0') != std::string::npos) {
    ThrowRangeError(info.Env(), std::string(kind) + ": '" + name + "' is not a valid interface name (1 to " +
                                    std::to_string(IFNAMSIZ - 1) + " bytes)");
    return false;
  }
  *ifname = std::move(name);
  return true;
}

bool BytesArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t minLength, size_t maxLength,
              const uint8_t** data, size_t* length) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowTypeError(info.Env(), std::string(name) + " must be a Uint8Array or Buffer");
    return false;
  }
  Napi::Uint8Array bytes = v.As<Napi::Uint8Array>();
  if (bytes.ElementLength() < minLength || bytes.ElementLength() > maxLength) {
    ThrowRangeError(info.Env(), std::string(name) + " must be " +
                                    (minLength == maxLength ? std::to_string(minLength)
                                                            : std::to_string(minLength) + " to " + std::to_string(maxLength)) +
                                    " bytes long, not " + std::to_string(bytes.ElementLength()));
    return false;
  }
  *data = bytes.Data();
  *length = bytes.ElementLength();
  return true;
}

bool LookupInterface(Napi::Env env, int fd, const std::string& ifname, const std::string& context,
                     unsigned* ifindex, uint8_t mac[6]) {
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.data(), ifname.size());  // validated: shorter than IFNAMSIZ
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
    SystemError(env, errno, "ioctl", context, ifname, "SIOCGIFINDEX").ThrowAsJavaScriptException();
    return false;
  }
  *ifindex = static_cast<unsigned>(ifr.ifr_ifindex);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    SystemError(env, errno, "ioctl", context, ifname, "SIOCGIFHWADDR").ThrowAsJavaScriptException();
    return false;
  }
  if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    // Not a failing syscall, but the same answer a kernel gives for an unusable argument.
    SystemError(env, EINVAL, "ioctl", context, ifname,
                "SIOCGIFHWADDR: hardware type " + std::to_string(ifr.ifr_hwaddr.sa_family) + " is not Ethernet")
        .ThrowAsJavaScriptException();
    return false;
  }
  std::memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  return true;
}

}  // namespace herald
