#include "api/validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/gateway_resources.h"
#include "api/gateway_validation.h"

namespace sluice::api {

namespace json = boost::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Field paths, as field.Path prints them: "spec.template.spec.containers[0].name".

std::string childPath(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

std::string indexPath(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::optional<int64_t> asInteger(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  // Only values above INT64_MAX parse as uint64; they are out of every range checked here.
  if (v.is_uint64()) return std::numeric_limits<int64_t>::max();
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Values rendered as Go prints them in field errors: strings with %q, numbers with %v, and
// structs, maps and slices with %#v (e.g. `map[string]string{"app":"nginx"}`).

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  size_t len = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (len == 0 || lead >= 0xF5 || i + len > s.size()) return 0;
  for (size_t k = i + 1; k < i + len; ++k)
    if ((byte(k) & 0xC0) != 0x80) return 0;
  return len;
}

// strconv.Quote: the named escapes, \xNN for other control bytes and invalid UTF-8.
std::string goQuote(std::string_view s) {
  static constexpr std::pair<char, std::string_view> kEscapes[] = {
      {'"', "\\\""}, {'\\', "\\\\"}, {'\a', "\\a"}, {'\b', "\\b"}, {'\f', "\\f"},
      {'\n', "\\n"}, {'\r', "\\r"},  {'\t', "\\t"}, {'\v', "\\v"}};
  static constexpr char kHex[] = "0123456789abcdef";
  auto hexByte = [](unsigned char c) { return std::string{'\\', 'x', kHex[c >> 4], kHex[c & 15]}; };
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = utf8SequenceLength(s, i);
      if (len)
        out += s.substr(i, len);
      else
        out += hexByte(c);
      i += len ? len : 1;
      continue;
    }
    const auto* escape = std::find_if(std::begin(kEscapes), std::end(kEscapes),
                                      [&](const auto& e) { return e.first == s[i]; });
    if (escape != std::end(kEscapes))
      out += escape->second;
    else if (c < 0x20 || c == 0x7F)
      out += hexByte(c);
    else
      out += s[i];
    ++i;
  }
  out += '"';
  return out;
}

// %v of a float64: the shortest representation that reads back as the same number.
std::string goFloat(double d) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

// A JSON value the way the bad value of a field error prints it.
std::string goValue(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return goQuote(v.get_string());
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_:
      return goFloat(v.get_double());
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::null:
      return "null";
    default:
      return json::serialize(v);
  }
}

// map[string]string; nullptr is a nil map. Go prints map keys sorted.
std::string goStringMap(const json::object* map) {
  if (!map) return "map[string]string(nil)";
  std::vector<std::pair<std::string_view, const json::value*>> entries;
  for (const auto& kv : *map) entries.emplace_back(kv.key(), &kv.value());
  std::sort(entries.begin(), entries.end());
  std::string out = "map[string]string{";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ", ";
    out += goQuote(entries[i].first) + ":" + goValue(*entries[i].second);
  }
  return out + "}";
}

// []string; anything but an array is a nil slice.
std::string goStringSlice(const json::value* slice) {
  if (!slice || !slice->is_array()) return "[]string(nil)";
  std::string out = "[]string{";
  const auto& items = slice->get_array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += goValue(items[i]);
  }
  return out + "}";
}

std::string goStringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return goQuote(v && v->is_string() ? std::string_view(v->get_string()) : std::string_view());
}

// *metav1.LabelSelector, which field errors dereference before printing with %#v.
std::string goLabelSelector(const json::object& selector) {
  const json::value* labels = selector.if_contains("matchLabels");
  std::string out = "v1.LabelSelector{MatchLabels:";
  out += goStringMap(labels && labels->is_object() ? &labels->get_object() : nullptr);
  out += ", MatchExpressions:";
  const json::value* exprs = selector.if_contains("matchExpressions");
  if (!exprs || !exprs->is_array()) return out + "[]v1.LabelSelectorRequirement(nil)}";
  out += "[]v1.LabelSelectorRequirement{";
  const auto& items = exprs->get_array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    if (!items[i].is_object()) {
      out += goValue(items[i]);
      continue;
    }
    const auto& e = items[i].get_object();
    out += "v1.LabelSelectorRequirement{Key:" + goStringMember(e, "key") +
           ", Operator:" + goStringMember(e, "operator") +
           ", Values:" + goStringSlice(e.if_contains("values")) + "}";
  }
  return out + "}}";
}

// intstr.IntOrString; nullptr is its zero value (the integer 0).
std::string goIntOrString(const json::value* v) {
  if (v && v->is_string())
    return "intstr.IntOrString{Type:1, IntVal:0, StrVal:" + goQuote(v->get_string()) + "}";
  int64_t n = v ? asInteger(*v).value_or(0) : 0;
  return "intstr.IntOrString{Type:0, IntVal:" + std::to_string(n) + ", StrVal:\"\"}";
}

// The key Kubernetes uses to find duplicate Service ports: a ServicePort with only protocol and
// port set.
std::string goServicePortKey(std::string_view protocol, int64_t port) {
  return "core.ServicePort{Name:\"\", Protocol:" + goQuote(protocol) +
         ", AppProtocol:(*string)(nil), Port:" + std::to_string(port) +
         ", TargetPort:" + goIntOrString(nullptr) + ", NodePort:0}";
}

// ---------------------------------------------------------------------------------------------
// Causes: field.ErrorList with field.Error's wording (ErrorBody: "<Type>: <value>: <detail>").

class Causes {
 public:
  void invalid(const std::string& field, const std::string& value, std::string_view detail) {
    add("FieldValueInvalid", withDetail("Invalid value: " + value, detail), field);
  }
  // A member of the wrong JSON type. The API server fails to decode such a body; here it is one
  // more Invalid cause, so that every problem is reported at once.
  void typeMismatch(const std::string& field, const json::value& value, std::string_view type) {
    invalid(field, goValue(value), "must be of type " + std::string(type));
  }
  void required(const std::string& field, std::string_view detail = {}) {
    add("FieldValueRequired", withDetail("Required value", detail), field);
  }
  void duplicate(const std::string& field, const std::string& value) {
    add("FieldValueDuplicate", "Duplicate value: " + value, field);
  }
  void notFound(const std::string& field, const std::string& value) {
    add("FieldValueNotFound", "Not found: " + value, field);
  }
  void notSupported(const std::string& field, const std::string& value,
                    std::initializer_list<std::string_view> supported) {
    std::string message = "Unsupported value: " + value + ": supported values: ";
    bool first = true;
    for (std::string_view s : supported) {
      if (!first) message += ", ";
      first = false;
      message += goQuote(s);
    }
    add("FieldValueNotSupported", std::move(message), field);
  }
  void forbidden(const std::string& field, std::string_view detail) {
    add("FieldValueForbidden", withDetail("Forbidden", detail), field);
  }
  void tooLong(const std::string& field, size_t maxBytes) {
    add("FieldValueTooLong", "Too long: must have at most " + std::to_string(maxBytes) + " bytes",
        field);
  }

  size_t size() const { return causes_.size(); }
  bool empty() const { return causes_.empty(); }
  std::vector<Cause> take() { return std::move(causes_); }

 private:
  static std::string withDetail(std::string head, std::string_view detail) {
    if (!detail.empty()) {
      head += ": ";
      head += detail;
    }
    return head;
  }
  // The API server drops repeated messages from the aggregate; drop repeated causes likewise.
  void add(std::string type, std::string message, const std::string& field) {
    for (const auto& c : causes_)
      if (c.type == type && c.message == message && c.field == field) return;
    causes_.push_back({std::move(type), std::move(message), field});
  }

  std::vector<Cause> causes_;
};

// ---------------------------------------------------------------------------------------------
// Reader: typed, non-throwing reads of one JSON object's members. A member of the wrong JSON type
// is reported (once per read) and then reads as absent, so no check ever calls as_* on the wrong
// kind of value. A null member reads as absent, like a nil pointer in the Go types.

class Reader {
 public:
  Reader(const json::object* object, std::string path, Causes& causes)
      : object_(object), path_(std::move(path)), causes_(&causes) {}

  bool present() const { return object_ != nullptr; }
  const json::object* object() const { return object_; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view key) const { return childPath(path_, key); }
  Causes& causes() const { return *causes_; }

  const json::value* raw(std::string_view key) const {
    if (!object_) return nullptr;
    const json::value* v = object_->if_contains(key);
    return v && !v->is_null() ? v : nullptr;
  }
  bool has(std::string_view key) const { return raw(key) != nullptr; }

  const json::object* objectAt(std::string_view key) const {
    const json::value* v = raw(key);
    if (!v) return nullptr;
    if (!v->is_object()) {
      causes_->typeMismatch(path(key), *v, "object");
      return nullptr;
    }
    return &v->get_object();
  }
  Reader child(std::string_view key) const { return Reader(objectAt(key), path(key), *causes_); }

  const json::array* arrayAt(std::string_view key) const {
    const json::value* v = raw(key);
    if (!v) return nullptr;
    if (!v->is_array()) {
      causes_->typeMismatch(path(key), *v, "array");
      return nullptr;
    }
    return &v->get_array();
  }

  // The objects of the array at `key`, each with its indexed path; other elements are reported.
  std::vector<Reader> items(std::string_view key) const {
    std::vector<Reader> out;
    const json::array* array = arrayAt(key);
    if (!array) return out;
    for (size_t i = 0; i < array->size(); ++i) {
      std::string itemPath = indexPath(path(key), i);
      const json::value& v = (*array)[i];
      if (v.is_object())
        out.emplace_back(&v.get_object(), std::move(itemPath), *causes_);
      else
        causes_->typeMismatch(itemPath, v, "object");
    }
    return out;
  }

  // "" when absent; nullopt only when the member is not a string.
  std::optional<std::string_view> string(std::string_view key) const {
    const json::value* v = raw(key);
    if (!v) return std::string_view();
    if (!v->is_string()) {
      causes_->typeMismatch(path(key), *v, "string");
      return std::nullopt;
    }
    return std::string_view(v->get_string());
  }
  // The string at `key`, "" when absent or not a string.
  std::string_view text(std::string_view key) const { return string(key).value_or(""); }

  // `fallback` when absent (the Go zero value is 0); nullopt only when not an integer.
  std::optional<int64_t> integer(std::string_view key, int64_t fallback = 0) const {
    const json::value* v = raw(key);
    if (!v) return fallback;
    if (auto n = asInteger(*v)) return n;
    causes_->typeMismatch(path(key), *v, "integer");
    return std::nullopt;
  }

  // An intOrString member (targetPort, maxSurge): an integer or string value, else nullptr.
  const json::value* intOrString(std::string_view key) const {
    const json::value* v = raw(key);
    if (!v || v->is_string() || asInteger(*v)) return v;
    causes_->typeMismatch(path(key), *v, "integer or string");
    return nullptr;
  }

 private:
  const json::object* object_;
  std::string path_;
  Causes* causes_;
};

// ---------------------------------------------------------------------------------------------
// Name and value formats (k8s.io/apimachinery/pkg/util/validation), returning messages.

using Messages = std::vector<std::string>;

constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1123LabelErrMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view kDns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1035LabelErrMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character";
constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view kPercentFmt = "[0-9]+%";
constexpr std::string_view kPercentErrMsg =
    "a valid percent string must be a numeric string followed by an ending '%'";
constexpr std::string_view kIsNegativeErrorMsg = "must be greater than or equal to 0";
constexpr std::string_view kFieldImmutableErrorMsg = "field is immutable";
constexpr size_t kDns1123LabelMaxLength = 63;
constexpr size_t kDns1123SubdomainMaxLength = 253;
constexpr size_t kQualifiedNameMaxLength = 63;
constexpr size_t kLabelValueMaxLength = 63;
constexpr size_t kTotalAnnotationSizeLimitBytes = 256 * 1024;

std::string maxLenError(size_t length) {
  return "must be no more than " + std::to_string(length) + " characters";
}

// "<msg> (e.g. 'a',  or 'b', regex used for validation is '<fmt>')", spacing included.
std::string regexError(std::string_view msg, std::string_view fmt,
                       std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  out += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) out += " or ";
    first = false;
    out += "'";
    out += e;
    out += "', ";
  }
  out += "regex used for validation is '";
  out += fmt;
  out += "')";
  return out;
}

bool isLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool isAlnum(char c) {
  return isLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}

bool matchesDns1123Label(std::string_view s) {
  if (s.empty() || !isLowerAlnum(s.front()) || !isLowerAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return isLowerAlnum(c) || c == '-'; });
}

bool matchesDns1123Subdomain(std::string_view s) {
  for (size_t start = 0;;) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!matchesDns1123Label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool matchesQualifiedNamePart(std::string_view s) {
  if (s.empty() || !isAlnum(s.front()) || !isAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

Messages isDns1123Label(std::string_view value) {
  Messages errs;
  if (value.size() > kDns1123LabelMaxLength) errs.push_back(maxLenError(kDns1123LabelMaxLength));
  if (!matchesDns1123Label(value)) {
    // A valid subdomain that is not a valid label (length was checked above) has dots.
    if (matchesDns1123Subdomain(value))
      errs.push_back("must not contain dots");
    else
      errs.push_back(regexError(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
  }
  return errs;
}

Messages isDns1123Subdomain(std::string_view value) {
  Messages errs;
  if (value.size() > kDns1123SubdomainMaxLength)
    errs.push_back(maxLenError(kDns1123SubdomainMaxLength));
  if (!matchesDns1123Subdomain(value))
    errs.push_back(regexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  return errs;
}

Messages isDns1035Label(std::string_view value) {
  Messages errs;
  if (value.size() > kDns1123LabelMaxLength) errs.push_back(maxLenError(kDns1123LabelMaxLength));
  bool startsWithLetter = !value.empty() && value.front() >= 'a' && value.front() <= 'z';
  if (!startsWithLetter || !matchesDns1123Label(value))
    errs.push_back(regexError(kDns1035LabelErrMsg, kDns1035LabelFmt, {"my-name", "abc-123"}));
  return errs;
}

// Label keys and annotation keys: an optional DNS-subdomain prefix and '/', then a name part.
Messages isQualifiedName(std::string_view value) {
  Messages errs;
  std::string nameFormatError =
      regexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"});
  std::string_view name = value;
  if (size_t slash = value.find('/'); slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back("a qualified name " + nameFormatError +
                     " with an optional DNS subdomain prefix and '/' (e.g. "
                     "'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const auto& msg : isDns1123Subdomain(prefix)) errs.push_back("prefix part " + msg);
    }
  }
  if (name.empty())
    errs.push_back("name part must be non-empty");
  else if (name.size() > kQualifiedNameMaxLength)
    errs.push_back("name part " + maxLenError(kQualifiedNameMaxLength));
  if (!matchesQualifiedNamePart(name)) errs.push_back("name part " + nameFormatError);
  return errs;
}

Messages isValidLabelValue(std::string_view value) {
  Messages errs;
  if (value.size() > kLabelValueMaxLength) errs.push_back(maxLenError(kLabelValueMaxLength));
  if (!value.empty() && !matchesQualifiedNamePart(value))
    errs.push_back(regexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  return errs;
}

// Named ports (IANA_SVC_NAME): at most 15 of [-a-z0-9], at least one letter, no "--", no hyphen
// at either end.
Messages isValidPortName(std::string_view port) {
  Messages errs;
  if (port.size() > 15) errs.push_back(maxLenError(15));
  bool charset = !port.empty() && std::all_of(port.begin(), port.end(),
                                              [](char c) { return isLowerAlnum(c) || c == '-'; });
  if (!charset)
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (std::none_of(port.begin(), port.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    errs.push_back("must contain at least one letter (a-z)");
  if (port.find("--") != std::string_view::npos)
    errs.push_back("must not contain consecutive hyphens");
  if (!port.empty() && (port.front() == '-' || port.back() == '-'))
    errs.push_back("must not begin or end with a hyphen");
  return errs;
}

std::optional<std::string> portNumberError(int64_t port) {
  if (port >= 1 && port <= 65535) return std::nullopt;
  return std::string("must be between 1 and 65535, inclusive");
}

bool isPercent(std::string_view s) {
  return s.size() >= 2 && s.back() == '%' &&
         std::all_of(s.begin(), s.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
}

bool isIPAddress(std::string_view s) {
  std::string text(s);
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

// ---------------------------------------------------------------------------------------------
// Object names. `prefix` is set for generateName, where a trailing dash is allowed (it is masked
// as apimachinery's maskTrailingDash does: the last two characters become "a").

using NameValidator = Messages (*)(std::string_view name, bool prefix);

std::string maskTrailingDash(std::string_view name) {
  if (name.size() > 1 && name.back() == '-')
    return std::string(name.substr(0, name.size() - 2)) + "a";
  return std::string(name);
}

Messages nameIsDnsSubdomain(std::string_view name, bool prefix) {
  return isDns1123Subdomain(prefix ? maskTrailingDash(name) : std::string(name));
}
Messages nameIsDnsLabel(std::string_view name, bool prefix) {
  return isDns1123Label(prefix ? maskTrailingDash(name) : std::string(name));
}
Messages nameIsDns1035Label(std::string_view name, bool prefix) {
  return isDns1035Label(prefix ? maskTrailingDash(name) : std::string(name));
}

// ---------------------------------------------------------------------------------------------
// Common checks.

void validateNonnegative(const Reader& r, std::string_view key) {
  if (auto v = r.integer(key); v && *v < 0)
    r.causes().invalid(r.path(key), std::to_string(*v), kIsNegativeErrorMsg);
}

void validateDns1123Label(const Reader& r, std::string_view key) {
  auto value = r.text(key);
  for (const auto& msg : isDns1123Label(value))
    r.causes().invalid(r.path(key), goQuote(value), msg);
}

// A string enum: Required when empty, NotSupported when not one of `supported`.
void validateEnum(const Reader& r, std::string_view key,
                  std::initializer_list<std::string_view> supported) {
  auto value = r.string(key);
  if (!value) return;
  if (value->empty()) {
    r.causes().required(r.path(key));
  } else if (std::find(supported.begin(), supported.end(), *value) == supported.end()) {
    r.causes().notSupported(r.path(key), goQuote(*value), supported);
  }
}

// ValidateLabels: every problem is reported at the map's path, not the key's.
void validateLabelMap(const json::object* labels, const std::string& path, Causes& out) {
  if (!labels) return;
  for (const auto& kv : *labels) {
    for (const auto& msg : isQualifiedName(kv.key())) out.invalid(path, goQuote(kv.key()), msg);
    if (!kv.value().is_string()) {
      out.typeMismatch(path, kv.value(), "string");
      continue;
    }
    std::string_view value = kv.value().get_string();
    for (const auto& msg : isValidLabelValue(value)) out.invalid(path, goQuote(value), msg);
  }
}

// ValidateAnnotations: keys are qualified names compared case-insensitively; 256 KiB in total.
void validateAnnotationMap(const json::object* annotations, const std::string& path, Causes& out) {
  if (!annotations) return;
  size_t totalBytes = 0;
  for (const auto& kv : *annotations) {
    std::string lower(kv.key());
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    for (const auto& msg : isQualifiedName(lower)) out.invalid(path, goQuote(kv.key()), msg);
    if (!kv.value().is_string()) {
      out.typeMismatch(path, kv.value(), "string");
      continue;
    }
    totalBytes += kv.key().size() + kv.value().get_string().size();
  }
  if (totalBytes > kTotalAnnotationSizeLimitBytes)
    out.tooLong(path, kTotalAnnotationSizeLimitBytes);
}

// ValidateObjectMeta. With generateName and no name the name is still to be generated, so only
// the prefix is checked.
void validateObjectMeta(const Reader& root, bool namespaced, NameValidator validName) {
  Causes& out = root.causes();
  Reader meta = root.child("metadata");
  auto generateName = meta.text("generateName");
  if (!generateName.empty())
    for (const auto& msg : validName(generateName, true))
      out.invalid(meta.path("generateName"), goQuote(generateName), msg);
  if (auto name = meta.string("name"); name && name->empty()) {
    if (generateName.empty()) out.required(meta.path("name"), "name or generateName is required");
  } else if (name) {
    for (const auto& msg : validName(*name, false))
      out.invalid(meta.path("name"), goQuote(*name), msg);
  }
  if (namespaced) {
    auto ns = meta.text("namespace");
    if (!ns.empty())
      for (const auto& msg : isDns1123Label(ns))
        out.invalid(meta.path("namespace"), goQuote(ns), msg);
  }
  validateNonnegative(meta, "generation");
  validateLabelMap(meta.objectAt("labels"), meta.path("labels"), out);
  validateAnnotationMap(meta.objectAt("annotations"), meta.path("annotations"), out);
}

// The identity fields of ValidateObjectMetaUpdate. Only fields both versions carry are compared:
// the server fills in what a client leaves out before it stores the object.
void validateObjectMetaUpdate(const Reader& root, const json::object& old) {
  Causes scratch;  // problems of the stored object are not the client's
  Reader oldMeta = Reader(&old, "", scratch).child("metadata");
  Reader meta = root.child("metadata");
  for (std::string_view key : {"name", "namespace", "uid"}) {
    auto now = meta.text(key);
    auto before = oldMeta.text(key);
    if (!now.empty() && !before.empty() && now != before)
      root.causes().invalid(meta.path(key), goQuote(now), kFieldImmutableErrorMsg);
  }
}

// ---------------------------------------------------------------------------------------------
// Label selectors (metav1.LabelSelector).

bool selectorIsEmpty(const json::object& selector) {
  auto size = [&](std::string_view key) -> size_t {
    const json::value* v = selector.if_contains(key);
    if (v && v->is_object()) return v->get_object().size();
    if (v && v->is_array()) return v->get_array().size();
    return 0;
  };
  return size("matchLabels") + size("matchExpressions") == 0;
}

// ValidateLabelSelector, plus the conversion LabelSelectorAsSelector does (which rejects the
// same things). Returns false when the selector cannot be used to match labels.
bool validateLabelSelector(const Reader& selector) {
  Causes& out = selector.causes();
  size_t before = out.size();
  validateLabelMap(selector.objectAt("matchLabels"), selector.path("matchLabels"), out);
  for (const Reader& expr : selector.items("matchExpressions")) {
    auto op = expr.string("operator");
    const json::array* values = expr.arrayAt("values");
    size_t count = values ? values->size() : 0;
    if (op == "In" || op == "NotIn") {
      if (count == 0)
        out.required(expr.path("values"), "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (count > 0)
        out.forbidden(expr.path("values"),
                      "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else if (op) {
      out.invalid(expr.path("operator"), goQuote(*op), "not a valid selector operator");
    }
    if (auto key = expr.string("key"))
      for (const auto& msg : isQualifiedName(*key))
        out.invalid(expr.path("key"), goQuote(*key), msg);
    for (size_t i = 0; values && i < values->size(); ++i) {
      std::string path = indexPath(expr.path("values"), i);
      const json::value& v = (*values)[i];
      if (!v.is_string()) {
        out.typeMismatch(path, v, "string");
        continue;
      }
      for (const auto& msg : isValidLabelValue(v.get_string()))
        out.invalid(path, goQuote(v.get_string()), msg);
    }
  }
  return out.size() == before;
}

const json::value* labelValue(const json::object* labels, std::string_view key) {
  if (!labels) return nullptr;
  const json::value* v = labels->if_contains(key);
  return v && v->is_string() ? v : nullptr;
}

bool arrayContains(const json::value* array, const json::value& item) {
  if (!array || !array->is_array()) return false;
  const auto& items = array->get_array();
  return std::find(items.begin(), items.end(), item) != items.end();
}

// Whether `labels` satisfy a (validated) selector: every matchLabels pair and every expression.
bool selectorMatches(const json::object& selector, const json::object* labels) {
  if (const json::value* m = selector.if_contains("matchLabels"); m && m->is_object()) {
    for (const auto& kv : m->get_object()) {
      const json::value* have = labelValue(labels, kv.key());
      if (!have || *have != kv.value()) return false;
    }
  }
  const json::value* exprs = selector.if_contains("matchExpressions");
  if (!exprs || !exprs->is_array()) return true;
  for (const auto& e : exprs->get_array()) {
    if (!e.is_object()) return false;
    const auto& expr = e.get_object();
    const json::value* key = expr.if_contains("key");
    const json::value* op = expr.if_contains("operator");
    if (!key || !key->is_string() || !op || !op->is_string()) return false;
    const json::value* have = labelValue(labels, key->get_string());
    const json::value* values = expr.if_contains("values");
    std::string_view oper = op->get_string();
    bool ok = oper == "In"             ? have && arrayContains(values, *have)
              : oper == "NotIn"        ? !have || !arrayContains(values, *have)
              : oper == "Exists"       ? have != nullptr
              : oper == "DoesNotExist" ? have == nullptr
                                       : false;
    if (!ok) return false;
  }
  return true;
}

// Semantic equality of two selectors, where absent, null and empty maps and lists are equal (as
// apiequality.Semantic.DeepEqual treats nil and empty).
json::object normalizedSelector(const json::value* selector) {
  json::object out;
  if (!selector || !selector->is_object()) return out;
  for (std::string_view key : {"matchLabels", "matchExpressions"}) {
    const json::value* v = selector->get_object().if_contains(key);
    bool empty = !v || v->is_null() || (v->is_object() && v->get_object().empty()) ||
                 (v->is_array() && v->get_array().empty());
    if (!empty) out[key] = *v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pod spec (pkg/apis/core/validation ValidatePodSpec, the parts sluice runs).

// A port by number or IANA name. An absent intOrString is the integer 0.
void validatePortNumOrName(const Reader& r, std::string_view key) {
  Causes& out = r.causes();
  const json::value* v = r.raw(key);
  if (!v) {
    out.invalid(r.path(key), "0", *portNumberError(0));
  } else if (auto n = asInteger(*v)) {
    if (auto msg = portNumberError(*n)) out.invalid(r.path(key), std::to_string(*n), *msg);
  } else if (v->is_string()) {
    for (const auto& msg : isValidPortName(v->get_string()))
      out.invalid(r.path(key), goQuote(v->get_string()), msg);
  } else {
    out.typeMismatch(r.path(key), *v, "integer or string");
  }
}

void validateProbeHandler(const Reader& probe) {
  Causes& out = probe.causes();
  int handlers = 0;
  for (std::string_view kind : {"exec", "httpGet", "tcpSocket", "grpc"}) {
    if (!probe.has(kind)) continue;
    if (handlers++ > 0) {
      out.forbidden(probe.path(kind), "may not specify more than 1 handler type");
      continue;
    }
    Reader action = probe.child(kind);
    if (!action.present()) continue;
    if (kind == "exec") {
      const json::array* command = action.arrayAt("command");
      bool mistyped = action.has("command") && !command;
      if (!mistyped && (!command || command->empty())) out.required(action.path("command"));
    } else if (kind == "httpGet") {
      if (auto path = action.string("path"); path && path->empty())
        out.required(action.path("path"));
      validatePortNumOrName(action, "port");
      if (auto scheme = action.string("scheme"); scheme && *scheme != "HTTP" && *scheme != "HTTPS")
        out.notSupported(action.path("scheme"), goQuote(*scheme), {"HTTP", "HTTPS"});
    } else if (kind == "tcpSocket") {
      validatePortNumOrName(action, "port");
    } else if (auto port = action.integer("port")) {
      if (auto msg = portNumberError(*port))
        out.invalid(action.path("port"), std::to_string(*port), *msg);
    }
  }
  if (handlers == 0) out.required(probe.path(), "must specify a handler type");
}

enum class ProbeKind { Liveness, Readiness, Startup };

void validateProbe(const Reader& probe, ProbeKind kind) {
  if (!probe.present()) return;
  Causes& out = probe.causes();
  validateProbeHandler(probe);
  for (std::string_view key : {"initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                               "successThreshold", "failureThreshold"})
    validateNonnegative(probe, key);
  if (probe.has("terminationGracePeriodSeconds")) {
    if (auto grace = probe.integer("terminationGracePeriodSeconds"); grace && *grace <= 0)
      out.invalid(probe.path("terminationGracePeriodSeconds"), std::to_string(*grace),
                  "must be greater than 0");
  }
  if (kind != ProbeKind::Readiness) {
    if (auto success = probe.integer("successThreshold"); success && *success != 1)
      out.invalid(probe.path("successThreshold"), std::to_string(*success), "must be 1");
  }
}

void validateContainerPorts(const Reader& container) {
  Causes& out = container.causes();
  std::set<std::string, std::less<>> names;
  for (const Reader& port : container.items("ports")) {
    auto name = port.text("name");
    if (!name.empty()) {
      Messages msgs = isValidPortName(name);
      for (const auto& msg : msgs) out.invalid(port.path("name"), goQuote(name), msg);
      if (msgs.empty() && !names.emplace(name).second)
        out.duplicate(port.path("name"), goQuote(name));
    }
    if (auto number = port.integer("containerPort")) {
      if (*number == 0)
        out.required(port.path("containerPort"));
      else if (auto msg = portNumberError(*number))
        out.invalid(port.path("containerPort"), std::to_string(*number), *msg);
    }
    if (auto host = port.integer("hostPort"); host && *host != 0) {
      if (auto msg = portNumberError(*host))
        out.invalid(port.path("hostPort"), std::to_string(*host), *msg);
    }
    validateEnum(port, "protocol", {"SCTP", "TCP", "UDP"});
  }
}

void validateEnv(const Reader& container) {
  Causes& out = container.causes();
  for (const Reader& var : container.items("env")) {
    auto name = var.string("name");
    if (!name) continue;
    if (name->empty()) {
      out.required(var.path("name"));
    } else if (std::any_of(name->begin(), name->end(),
                           [](char c) { return c < ' ' || c > '~' || c == '='; })) {
      out.invalid(var.path("name"), goQuote(*name),
                  "a valid environment variable name must consist only of printable ASCII "
                  "characters other than '='");
    }
  }
}

void validateVolumeMounts(const Reader& container,
                          const std::set<std::string, std::less<>>& volumes) {
  Causes& out = container.causes();
  std::set<std::string, std::less<>> mountPaths;
  for (const Reader& mount : container.items("volumeMounts")) {
    auto name = mount.string("name");
    if (name && name->empty()) out.required(mount.path("name"));
    if (name && !volumes.contains(*name)) out.notFound(mount.path("name"), goQuote(*name));
    auto mountPath = mount.string("mountPath");
    if (!mountPath) continue;
    if (mountPath->empty()) out.required(mount.path("mountPath"));
    if (!mountPaths.emplace(*mountPath).second)
      out.invalid(mount.path("mountPath"), goQuote(*mountPath), "must be unique");
  }
}

// validateContainerCommon: what init and regular containers share.
void validateContainer(const Reader& container, const std::set<std::string, std::less<>>& volumes) {
  Causes& out = container.causes();
  if (auto name = container.string("name"); name && name->empty())
    out.required(container.path("name"));
  else if (name)
    validateDns1123Label(container, "name");
  if (auto image = container.string("image"); image && image->empty())
    out.required(container.path("image"));
  validateContainerPorts(container);
  validateEnv(container);
  validateVolumeMounts(container, volumes);
  validateEnum(container, "imagePullPolicy", {"Always", "IfNotPresent", "Never"});
}

// Volume names; returns the names of the volumes without problems, which mounts may refer to.
std::set<std::string, std::less<>> validateVolumes(const Reader& spec) {
  Causes& out = spec.causes();
  std::set<std::string, std::less<>> names;
  for (const Reader& volume : spec.items("volumes")) {
    size_t before = out.size();
    bool hasSource = std::any_of(volume.object()->begin(), volume.object()->end(),
                                 [](const auto& kv) { return kv.key() != "name"; });
    if (!hasSource) out.required(volume.path(), "must specify a volume type");
    auto name = volume.string("name");
    if (!name) continue;
    if (name->empty())
      out.required(volume.path("name"));
    else
      validateDns1123Label(volume, "name");
    if (names.contains(*name)) out.duplicate(volume.path("name"), goQuote(*name));
    if (out.size() == before) names.emplace(*name);
  }
  return names;
}

void validatePodSpec(const Reader& spec) {
  Causes& out = spec.causes();
  auto volumes = validateVolumes(spec);

  const json::array* containers = spec.arrayAt("containers");
  if ((!containers && !spec.has("containers")) || (containers && containers->empty()))
    out.required(spec.path("containers"));
  std::set<std::string, std::less<>> names;
  for (const Reader& c : spec.items("containers")) {
    validateContainer(c, volumes);
    auto name = c.text("name");
    if (!names.emplace(name).second) out.duplicate(c.path("name"), goQuote(name));
    validateProbe(c.child("livenessProbe"), ProbeKind::Liveness);
    validateProbe(c.child("readinessProbe"), ProbeKind::Readiness);
    validateProbe(c.child("startupProbe"), ProbeKind::Startup);
  }
  // Init container names must differ from each other and from the regular containers' names.
  for (const Reader& c : spec.items("initContainers")) {
    validateContainer(c, volumes);
    auto name = c.text("name");
    if (!names.emplace(name).second) out.duplicate(c.path("name"), goQuote(name));
  }

  validateEnum(spec, "restartPolicy", {"Always", "OnFailure", "Never"});
  validateEnum(spec, "dnsPolicy", {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
  validateLabelMap(spec.objectAt("nodeSelector"), spec.path("nodeSelector"), out);
  if (auto account = spec.text("serviceAccountName"); !account.empty())
    for (const auto& msg : isDns1123Subdomain(account))
      out.invalid(spec.path("serviceAccountName"), goQuote(account), msg);
  if (spec.has("activeDeadlineSeconds")) {
    if (auto deadline = spec.integer("activeDeadlineSeconds");
        deadline && (*deadline < 1 || *deadline > std::numeric_limits<int32_t>::max()))
      out.invalid(spec.path("activeDeadlineSeconds"), std::to_string(*deadline),
                  "must be between 1 and 2147483647, inclusive");
  }
  for (std::string_view key : {"hostname", "subdomain"})
    if (!spec.text(key).empty()) validateDns1123Label(spec, key);
}

// ValidatePodTemplateSpec. Its labels and annotations are reported at `spec.template.labels`
// and `spec.template.annotations` (without `metadata`), exactly as Kubernetes reports them.
void validatePodTemplateSpec(const Reader& tmpl) {
  Reader meta = tmpl.child("metadata");
  validateLabelMap(meta.objectAt("labels"), tmpl.path("labels"), tmpl.causes());
  validateAnnotationMap(meta.objectAt("annotations"), tmpl.path("annotations"), tmpl.causes());
  validatePodSpec(tmpl.child("spec"));
}

// ---------------------------------------------------------------------------------------------
// Kinds.

// The selector and template shared by Deployment and ReplicaSet specs (ValidateDeploymentSpec,
// ValidateReplicaSetSpec, ValidatePodTemplateSpecForReplicaSet).
void validateSelectorAndTemplate(const Reader& spec) {
  Causes& out = spec.causes();
  const json::object* selector = spec.objectAt("selector");
  bool usable = true;  // LabelSelectorAsSelector succeeds
  if (!spec.has("selector")) {
    out.required(spec.path("selector"));
  } else if (!selector) {
    usable = false;
  } else {
    bool valid = validateLabelSelector(Reader(selector, spec.path("selector"), out));
    if (selectorIsEmpty(*selector))
      out.invalid(spec.path("selector"), goLabelSelector(*selector),
                  "empty selector is invalid for deployment");
    if (!valid) {
      out.invalid(spec.path("selector"), goLabelSelector(*selector), "invalid label selector");
      usable = false;
    }
  }
  if (!usable || (spec.has("template") && !spec.objectAt("template"))) return;

  Reader tmpl = spec.child("template");
  Reader tmplMeta = tmpl.child("metadata");
  const json::object* labels = tmplMeta.objectAt("labels");
  // A missing selector selects nothing; an empty one everything (and is reported above).
  if (!selector || !selectorIsEmpty(*selector)) {
    if (!selector || !selectorMatches(*selector, labels))
      out.invalid(tmplMeta.path("labels"), goStringMap(labels),
                  "`selector` does not match template `labels`");
  }
  validatePodTemplateSpec(tmpl);
  Reader podSpec = tmpl.child("spec");
  if (auto policy = podSpec.string("restartPolicy"); policy && *policy != "Always")
    out.notSupported(podSpec.path("restartPolicy"), goQuote(*policy), {"Always"});
  if (podSpec.has("activeDeadlineSeconds"))
    out.forbidden(podSpec.path("activeDeadlineSeconds"),
                  "activeDeadlineSeconds in ReplicaSet is not Supported");
}

// Selectors of Deployments and ReplicaSets cannot change (apps/v1).
void validateSelectorUnchanged(const Reader& root, const json::object* old) {
  if (!old) return;
  const json::value* now = root.child("spec").raw("selector");
  const json::value* before = nullptr;
  if (const json::value* spec = old->if_contains("spec"); spec && spec->is_object())
    before = spec->get_object().if_contains("selector");
  if (!now || !now->is_object() || normalizedSelector(now) == normalizedSelector(before)) return;
  root.causes().invalid("spec.selector", goLabelSelector(now->get_object()),
                        kFieldImmutableErrorMsg);
}

// getIntOrPercentValue: a percentage's number, else the integer (a string that is not a
// percentage counts as its integer value, 0 when it is not a number, as IntValue() does).
int64_t intOrPercentValue(const json::value* v) {
  if (!v) return 0;
  if (auto n = asInteger(*v)) return *n;
  if (!v->is_string()) return 0;
  std::string s(v->get_string());
  if (isPercent(s)) s.pop_back();
  size_t sign = !s.empty() && (s.front() == '-' || s.front() == '+') ? 1 : 0;
  bool digits = s.size() > sign && s.size() - sign <= 18 &&
                std::all_of(s.begin() + sign, s.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits ? std::stoll(s) : 0;
}

void validatePositiveIntOrPercent(const json::value* v, const std::string& path, Causes& out) {
  if (!v) return;
  if (v->is_string()) {
    if (!isPercent(v->get_string()))
      out.invalid(path, goIntOrString(v), regexError(kPercentErrMsg, kPercentFmt, {"1%", "93%"}));
  } else if (auto n = asInteger(*v); n && *n < 0) {
    out.invalid(path, std::to_string(*n), kIsNegativeErrorMsg);
  }
}

void validateRollingUpdate(const Reader& update) {
  Causes& out = update.causes();
  const json::value* maxUnavailable = update.intOrString("maxUnavailable");
  const json::value* maxSurge = update.intOrString("maxSurge");
  validatePositiveIntOrPercent(maxUnavailable, update.path("maxUnavailable"), out);
  validatePositiveIntOrPercent(maxSurge, update.path("maxSurge"), out);
  bool typesOk =
      (maxUnavailable || !update.has("maxUnavailable")) && (maxSurge || !update.has("maxSurge"));
  if (typesOk && intOrPercentValue(maxUnavailable) == 0 && intOrPercentValue(maxSurge) == 0)
    out.invalid(update.path("maxUnavailable"), goIntOrString(maxUnavailable),
                "may not be 0 when `maxSurge` is 0");
  if (maxUnavailable && maxUnavailable->is_string() && isPercent(maxUnavailable->get_string()) &&
      intOrPercentValue(maxUnavailable) > 100)
    out.invalid(update.path("maxUnavailable"), goIntOrString(maxUnavailable),
                "must not be greater than 100%");
}

void validateDeploymentStrategy(const Reader& strategy) {
  Causes& out = strategy.causes();
  auto type = strategy.string("type");
  if (!type) return;
  if (*type == "Recreate") {
    if (strategy.has("rollingUpdate"))
      out.forbidden(strategy.path("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'");
  } else if (*type == "RollingUpdate") {
    if (!strategy.has("rollingUpdate"))
      out.required(strategy.path("rollingUpdate"), "this should be defaulted and never be nil");
    else if (Reader update = strategy.child("rollingUpdate"); update.present())
      validateRollingUpdate(update);
  } else {
    std::string value = "apps.DeploymentStrategy{Type:" + goQuote(*type) + ", RollingUpdate:";
    value += strategy.has("rollingUpdate") ? "&apps.RollingUpdateDeployment{...}"
                                           : "(*apps.RollingUpdateDeployment)(nil)";
    out.notSupported(strategy.path(), value + "}", {"Recreate", "RollingUpdate"});
  }
}

void validateDeployment(const Reader& root, const json::object* old) {
  Causes& out = root.causes();
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, true, nameIsDnsSubdomain);
  Reader spec = root.child("spec");
  validateNonnegative(spec, "replicas");
  validateSelectorAndTemplate(spec);
  validateDeploymentStrategy(spec.child("strategy"));
  validateNonnegative(spec, "minReadySeconds");
  validateNonnegative(spec, "revisionHistoryLimit");
  if (spec.has("progressDeadlineSeconds")) {
    auto deadline = spec.integer("progressDeadlineSeconds");
    auto minReady = spec.integer("minReadySeconds");
    validateNonnegative(spec, "progressDeadlineSeconds");
    if (deadline && minReady && *deadline <= *minReady)
      out.invalid(spec.path("progressDeadlineSeconds"), std::to_string(*deadline),
                  "must be greater than minReadySeconds");
  }
  validateSelectorUnchanged(root, old);
}

void validateReplicaSet(const Reader& root, const json::object* old) {
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, true, nameIsDnsSubdomain);
  Reader spec = root.child("spec");
  validateNonnegative(spec, "replicas");
  validateNonnegative(spec, "minReadySeconds");
  validateSelectorAndTemplate(spec);
  validateSelectorUnchanged(root, old);
}

void validatePod(const Reader& root, const json::object* old) {
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, true, nameIsDnsSubdomain);
  validatePodSpec(root.child("spec"));
}

// ClusterIP is immutable once allocated, except on the way to or from ExternalName (the
// pre-dual-stack rule, which reports `spec.clusterIP`).
void validateClusterIPUnchanged(const Reader& spec, const json::object* old) {
  if (!old) return;
  Causes scratch;
  Reader oldSpec = Reader(old, "", scratch).child("spec");
  auto before = oldSpec.text("clusterIP");
  auto now = spec.text("clusterIP");
  if (spec.text("type") == "ExternalName" || oldSpec.text("type") == "ExternalName") return;
  if (!before.empty() && now != before)
    spec.causes().invalid(spec.path("clusterIP"), goQuote(now), kFieldImmutableErrorMsg);
}

// ExternalName needs a DNS name and no cluster IP; other types an IP, "None" (headless) or none.
void validateServiceAddress(const Reader& spec) {
  Causes& out = spec.causes();
  auto clusterIP = spec.text("clusterIP");
  if (spec.text("type") == "ExternalName") {
    if (!clusterIP.empty())
      out.forbidden(spec.path("clusterIP"), "may not be set for ExternalName services");
    std::string_view name = spec.text("externalName");
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // fully qualified
    if (name.empty())
      out.required(spec.path("externalName"));
    else
      for (const auto& msg : isDns1123Subdomain(name))
        out.invalid(spec.path("externalName"), goQuote(name), msg);
  } else if (!clusterIP.empty() && clusterIP != "None" && !isIPAddress(clusterIP)) {
    out.invalid(spec.path("clusterIP"), goQuote(clusterIP),
                "must be empty, 'None', or a valid IP address");
  }
}

// validateServicePort; names are required when there is more than one port.
void validateServicePort(const Reader& port, bool requireName,
                         std::set<std::string, std::less<>>& names) {
  Causes& out = port.causes();
  auto name = port.string("name");
  if (name && name->empty() && requireName) {
    out.required(port.path("name"));
  } else if (name && !name->empty()) {
    validateDns1123Label(port, "name");
    if (!names.emplace(*name).second) out.duplicate(port.path("name"), goQuote(*name));
  }
  if (auto number = port.integer("port"))
    if (auto msg = portNumberError(*number))
      out.invalid(port.path("port"), std::to_string(*number), *msg);
  validateEnum(port, "protocol", {"SCTP", "TCP", "UDP"});
  validatePortNumOrName(port, "targetPort");
  if (auto nodePort = port.integer("nodePort"); nodePort && *nodePort != 0)
    if (auto msg = portNumberError(*nodePort))
      out.invalid(port.path("nodePort"), std::to_string(*nodePort), *msg);
}

// No node ports on ClusterIP services; node ports and ports unique per protocol.
void validateServicePortSet(const std::vector<Reader>& ports, std::string_view type, Causes& out) {
  if (type == "ClusterIP")
    for (const Reader& port : ports)
      if (auto nodePort = port.integer("nodePort"); nodePort && *nodePort != 0)
        out.forbidden(port.path("nodePort"), "may not be used when `type` is 'ClusterIP'");
  std::set<std::pair<std::string, int64_t>> nodePorts;
  for (const Reader& port : ports) {
    auto nodePort = port.integer("nodePort");
    if (nodePort && *nodePort != 0 && !nodePorts.emplace(port.text("protocol"), *nodePort).second)
      out.duplicate(port.path("nodePort"), std::to_string(*nodePort));
  }
  std::set<std::pair<std::string, int64_t>> numbers;
  for (const Reader& port : ports) {
    auto number = port.integer("port");
    if (number && !numbers.emplace(port.text("protocol"), *number).second)
      out.duplicate(port.path(), goServicePortKey(port.text("protocol"), *number));
  }
}

// externalTrafficPolicy belongs to externally reachable services; internalTrafficPolicy to the
// cluster-IP based ones.
void validateTrafficPolicies(const Reader& spec, std::string_view type) {
  Causes& out = spec.causes();
  const json::array* externalIPs = spec.arrayAt("externalIPs");
  bool external = type == "LoadBalancer" || type == "NodePort" ||
                  (type == "ClusterIP" && externalIPs && !externalIPs->empty());
  if (external) {
    validateEnum(spec, "externalTrafficPolicy", {"Cluster", "Local"});
  } else if (auto policy = spec.text("externalTrafficPolicy"); !policy.empty()) {
    out.invalid(spec.path("externalTrafficPolicy"), goQuote(policy),
                "may only be set for externally-accessible services");
  }
  auto policy = spec.string("internalTrafficPolicy");
  if (!policy) return;
  if (policy->empty() && (type == "ClusterIP" || type == "NodePort" || type == "LoadBalancer"))
    out.required(spec.path("internalTrafficPolicy"));
  else if (!policy->empty() && *policy != "Cluster" && *policy != "Local")
    out.notSupported(spec.path("internalTrafficPolicy"), goQuote(*policy), {"Cluster", "Local"});
}

void validateService(const Reader& root, const json::object* old) {
  Causes& out = root.causes();
  if (old) validateObjectMetaUpdate(root, *old);
  Reader spec = root.child("spec");
  validateClusterIPUnchanged(spec, old);
  validateObjectMeta(root, true, nameIsDns1035Label);

  auto type = spec.text("type");
  std::vector<Reader> ports = spec.items("ports");
  bool portsMistyped = spec.has("ports") && !spec.arrayAt("ports");
  bool headless = spec.text("clusterIP") == "None";
  if (!portsMistyped && ports.empty() && !headless && type != "ExternalName")
    out.required(spec.path("ports"));
  validateServiceAddress(spec);
  std::set<std::string, std::less<>> names;
  for (const Reader& port : ports) validateServicePort(port, ports.size() > 1, names);

  validateLabelMap(spec.objectAt("selector"), spec.path("selector"), out);
  validateEnum(spec, "sessionAffinity", {"ClientIP", "None"});
  validateEnum(spec, "type", {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"});
  validateServicePortSet(ports, type, out);
  validateTrafficPolicies(spec, type);
}

void validateNamespace(const Reader& root, const json::object* old) {
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, false, nameIsDnsLabel);
}

void validateOther(const Reader& root, const json::object* old, const ResourceType& type) {
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, type.namespaced, nameIsDnsSubdomain);
}

// ---------------------------------------------------------------------------------------------
// Defaulting (pkg/apis/*/v1 defaults.go). A pointer field in the Go types is defaulted when
// absent or null; a plain string or integer field also when it holds its zero value ("" or 0),
// which Go cannot tell apart from unset. Members of an unexpected type are left for validation.

void defaultIfUnset(json::object& o, std::string_view key, json::value value) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) o[key] = std::move(value);
}

void defaultIfZero(json::object& o, std::string_view key, json::value value) {
  const json::value* v = o.if_contains(key);
  bool zero = !v || v->is_null() || (v->is_string() && v->get_string().empty()) ||
              (v->is_int64() && v->get_int64() == 0);
  if (zero) o[key] = std::move(value);
}

// The object at `key`, created when absent or null (a struct value in the Go types); nullptr
// when `key` holds something else.
json::object* objectMember(json::object& o, std::string_view key) {
  json::value& v = o[key];
  if (v.is_null()) v.emplace_object();
  return v.if_object();
}

json::object* existingObject(json::object& o, std::string_view key) {
  json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

std::string_view stringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// Calls `f` on every object element of the array at `key`.
template <class F>
void forEachObject(json::object& o, std::string_view key, F f) {
  json::value* v = o.if_contains(key);
  if (!v || !v->is_array()) return;
  for (auto& item : v->get_array())
    if (auto* element = item.if_object()) f(*element);
}

// Always for `:latest` or no tag (and no digest), else IfNotPresent.
std::string_view pullPolicyFor(std::string_view image) {
  if (image.empty()) return "IfNotPresent";
  size_t at = image.find('@');
  bool digest = at != std::string_view::npos;
  std::string_view name = image.substr(0, at);
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  bool tagged =
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
  std::string_view tag = tagged ? name.substr(colon + 1) : digest ? "" : "latest";
  return tag == "latest" ? "Always" : "IfNotPresent";
}

void defaultHttpGet(json::object& handler) {
  if (json::object* httpGet = existingObject(handler, "httpGet")) {
    defaultIfZero(*httpGet, "path", "/");
    defaultIfZero(*httpGet, "scheme", "HTTP");
  }
}

void defaultProbe(json::object& container, std::string_view key) {
  json::object* probe = existingObject(container, key);
  if (!probe) return;
  defaultIfZero(*probe, "timeoutSeconds", 1);
  defaultIfZero(*probe, "periodSeconds", 10);
  defaultIfZero(*probe, "successThreshold", 1);
  defaultIfZero(*probe, "failureThreshold", 3);
  defaultHttpGet(*probe);
}

void defaultContainer(json::object& c) {
  defaultIfZero(c, "imagePullPolicy", json::string(pullPolicyFor(stringMember(c, "image"))));
  defaultIfZero(c, "terminationMessagePath", "/dev/termination-log");
  defaultIfZero(c, "terminationMessagePolicy", "File");
  forEachObject(c, "ports", [](json::object& port) { defaultIfZero(port, "protocol", "TCP"); });
  for (std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"})
    defaultProbe(c, probe);
  if (json::object* lifecycle = existingObject(c, "lifecycle")) {
    for (std::string_view hook : {"postStart", "preStop"})
      if (json::object* handler = existingObject(*lifecycle, hook)) defaultHttpGet(*handler);
  }
  forEachObject(c, "env", [](json::object& var) {
    if (json::object* from = existingObject(var, "valueFrom"))
      if (json::object* fieldRef = existingObject(*from, "fieldRef"))
        defaultIfZero(*fieldRef, "apiVersion", "v1");
  });
}

void defaultPodSpec(json::object& spec) {
  defaultIfZero(spec, "dnsPolicy", "ClusterFirst");
  defaultIfZero(spec, "restartPolicy", "Always");
  defaultIfUnset(spec, "securityContext", json::object());
  defaultIfUnset(spec, "terminationGracePeriodSeconds", 30);
  defaultIfZero(spec, "schedulerName", "default-scheduler");
  forEachObject(spec, "containers", defaultContainer);
  forEachObject(spec, "initContainers", defaultContainer);
  forEachObject(spec, "volumes", [](json::object& volume) {
    // A volume with no source is an emptyDir; configMap and secret files default to 0644.
    bool hasSource = std::any_of(volume.begin(), volume.end(),
                                 [](const auto& kv) { return kv.key() != "name"; });
    if (!hasSource) volume["emptyDir"] = json::object();
    for (std::string_view source : {"configMap", "secret"})
      if (json::object* s = existingObject(volume, source)) defaultIfUnset(*s, "defaultMode", 420);
  });
}

void defaultPodTemplate(json::object& workloadSpec) {
  if (json::object* tmpl = objectMember(workloadSpec, "template"))
    if (json::object* spec = objectMember(*tmpl, "spec")) defaultPodSpec(*spec);
}

void defaultDeployment(json::object& object) {
  json::object* spec = objectMember(object, "spec");
  if (!spec) return;
  defaultIfUnset(*spec, "replicas", 1);
  if (json::object* strategy = objectMember(*spec, "strategy")) {
    defaultIfZero(*strategy, "type", "RollingUpdate");
    if (stringMember(*strategy, "type") == "RollingUpdate") {
      if (json::object* update = objectMember(*strategy, "rollingUpdate")) {
        defaultIfUnset(*update, "maxUnavailable", "25%");
        defaultIfUnset(*update, "maxSurge", "25%");
      }
    }
  }
  defaultIfUnset(*spec, "revisionHistoryLimit", 10);
  defaultIfUnset(*spec, "progressDeadlineSeconds", 600);
  defaultPodTemplate(*spec);
}

void defaultReplicaSet(json::object& object) {
  json::object* spec = objectMember(object, "spec");
  if (!spec) return;
  defaultIfUnset(*spec, "replicas", 1);
  defaultPodTemplate(*spec);
}

// SetDefaults_Pod on top of the pod spec: service links on, and each container's requests
// default to its limits.
void defaultPod(json::object& object) {
  json::object* spec = objectMember(object, "spec");
  if (!spec) return;
  defaultPodSpec(*spec);
  defaultIfUnset(*spec, "enableServiceLinks", true);
  auto requestsFromLimits = [](json::object& container) {
    json::object* resources = existingObject(container, "resources");
    json::object* limits = resources ? existingObject(*resources, "limits") : nullptr;
    if (!limits || limits->empty()) return;
    // Adding `requests` may move the members of `resources`: look `limits` up again after.
    json::object* requests = objectMember(*resources, "requests");
    limits = existingObject(*resources, "limits");
    if (!requests || !limits) return;
    for (const auto& kv : *limits)
      if (!requests->contains(kv.key())) (*requests)[kv.key()] = kv.value();
  };
  forEachObject(*spec, "containers", requestsFromLimits);
  forEachObject(*spec, "initContainers", requestsFromLimits);
}

void defaultService(json::object& object) {
  json::object* spec = objectMember(object, "spec");
  if (!spec) return;
  defaultIfZero(*spec, "sessionAffinity", "None");
  defaultIfZero(*spec, "type", "ClusterIP");
  std::string type(stringMember(*spec, "type"));
  forEachObject(*spec, "ports", [](json::object& port) {
    defaultIfZero(port, "protocol", "TCP");
    const json::value* number = port.if_contains("port");
    if (number && number->is_int64()) defaultIfZero(port, "targetPort", *number);
  });
  if (stringMember(*spec, "sessionAffinity") == "ClientIP") {
    if (json::object* config = objectMember(*spec, "sessionAffinityConfig"))
      if (json::object* clientIP = objectMember(*config, "clientIP"))
        defaultIfUnset(*clientIP, "timeoutSeconds", 10800);
  }
  if (type == "NodePort" || type == "LoadBalancer")
    defaultIfZero(*spec, "externalTrafficPolicy", "Cluster");
  if (type == "ClusterIP" || type == "NodePort" || type == "LoadBalancer")
    defaultIfUnset(*spec, "internalTrafficPolicy", "Cluster");
  if (type == "LoadBalancer") defaultIfUnset(*spec, "allocateLoadBalancerNodePorts", true);
  if (type == "ExternalName") return;
  // The IP family follows an already chosen cluster IP; IPv4 otherwise.
  std::string clusterIP(stringMember(*spec, "clusterIP"));  // a copy: `spec` grows below
  auto emptyList = [&](std::string_view key) {
    const json::value* v = spec->if_contains(key);
    return !v || v->is_null() || (v->is_array() && v->get_array().empty());
  };
  if (!clusterIP.empty() && emptyList("clusterIPs"))
    (*spec)["clusterIPs"] = json::array{json::string(clusterIP)};
  defaultIfUnset(*spec, "ipFamilyPolicy", "SingleStack");
  if (emptyList("ipFamilies")) {
    bool v6 = clusterIP.find(':') != std::string::npos;
    (*spec)["ipFamilies"] = json::array{v6 ? "IPv6" : "IPv4"};
  }
}

// The finalizer and phase are only filled in when absent, so that a namespace being finalized
// (finalizers emptied, phase Terminating) keeps its state on later updates.
void defaultNamespace(json::object& object) {
  if (json::object* spec = objectMember(object, "spec"))
    defaultIfUnset(*spec, "finalizers", json::array{"kubernetes"});
  if (json::object* status = objectMember(object, "status"))
    defaultIfZero(*status, "phase", "Active");
  json::object* meta = existingObject(object, "metadata");
  std::string name(meta ? stringMember(*meta, "name") : std::string_view());
  if (name.empty()) return;
  if (json::object* labels = objectMember(*meta, "labels"))
    defaultIfUnset(*labels, "kubernetes.io/metadata.name", json::string(name));
}

}  // namespace

void applyDefaults(json::object& object, const ResourceType& type) {
  if (type.kind == "Deployment")
    defaultDeployment(object);
  else if (type.kind == "ReplicaSet")
    defaultReplicaSet(object);
  else if (type.kind == "Pod")
    defaultPod(object);
  else if (type.kind == "Service")
    defaultService(object);
  else if (type.kind == "Namespace")
    defaultNamespace(object);
  else if (isGatewayApi(type))
    applyGatewayDefaults(object, type);
}

Status validate(const json::object& object, const json::object* old, const ResourceType& type) {
  Causes causes;
  Reader root(&object, "", causes);
  if (type.kind == "Deployment")
    validateDeployment(root, old);
  else if (type.kind == "ReplicaSet")
    validateReplicaSet(root, old);
  else if (type.kind == "Pod")
    validatePod(root, old);
  else if (type.kind == "Service")
    validateService(root, old);
  else if (type.kind == "Namespace")
    validateNamespace(root, old);
  else
    validateOther(root, old, type);
  std::vector<Cause> found = causes.take();
  if (isGatewayApi(type))
    for (auto& c : validateGatewayApi(object, old, type)) found.push_back(std::move(c));
  if (found.empty()) return {};
  std::string name;
  if (const json::value* meta = object.if_contains("metadata"); meta && meta->is_object())
    name = stringMember(meta->get_object(), "name");
  return Error::invalid(type.kind, type.group, name, std::move(found));
}

}  // namespace sluice::api
