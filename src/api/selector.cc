#include "api/selector.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <variant>

#include "api/gofmt.h"
#include "api/names.h"

namespace sluice::api {

namespace json = boost::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Errors worded as labels.NewRequirement and the API server word them; the key and value
// formats themselves are in api/names.h.

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// field.Invalid(path, value, detail).Error()
std::string invalidValue(const std::string& path, std::string_view value,
                         const std::string& detail) {
  return path + ": Invalid value: " + gofmt::quote(value) + ": " + detail;
}

// utilerrors.NewAggregate(errs).Error()
std::string aggregate(const std::vector<std::string>& errs) {
  if (errs.size() == 1) return errs.front();
  return "[" + join(errs, ", ") + "]";
}

void sortUnique(std::vector<std::string>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

// Value errors of a requirement, as labels.NewRequirement reports them: the path names the
// value's index in the sorted set and the key ("values[0][version]").
std::vector<std::string> requirementValueErrors(const Requirement& r) {
  std::vector<std::string> errs;
  for (size_t i = 0; i < r.values.size(); ++i) {
    auto msgs = isValidLabelValue(r.values[i]);
    if (!msgs.empty()) {
      errs.push_back(invalidValue("values[" + std::to_string(i) + "][" + r.key + "]", r.values[i],
                                  join(msgs, "; ")));
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// The label selector string grammar, as k8s.io/apimachinery/pkg/labels parses it:
//
//   selector    := <requirement> [ "," <requirement> ]*
//   requirement := [ "!" ] KEY [ <op> <values> ]
//   op          := "=" | "==" | "!=" | "in" | "notin"
//   values      := VALUE | "(" VALUE [ "," VALUE ]* ")"

enum class Tok {
  End,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
};

struct Token {
  Tok tok;
  std::string literal;
};

bool isWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool isSpecialSymbol(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

std::optional<Tok> symbolToken(std::string_view s) {
  if (s == ")") return Tok::ClosedPar;
  if (s == ",") return Tok::Comma;
  if (s == "!") return Tok::DoesNotExist;
  if (s == "==") return Tok::DoubleEquals;
  if (s == "=") return Tok::Equals;
  if (s == ">") return Tok::GreaterThan;
  if (s == "<") return Tok::LessThan;
  if (s == "!=") return Tok::NotEquals;
  if (s == "(") return Tok::OpenPar;
  return std::nullopt;
}

std::vector<Token> lex(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < text.size() && isWhitespace(text[i])) ++i;
    if (i == text.size()) {
      out.push_back({Tok::End, ""});
      return out;
    }
    if (isSpecialSymbol(text[i])) {
      // Every symbol is a token on its own; take the longest run that still is one ("!=", "==").
      std::string symbol(1, text[i++]);
      while (i < text.size() && symbolToken(symbol + text[i])) symbol += text[i++];
      out.push_back({*symbolToken(symbol), symbol});
      continue;
    }
    size_t start = i;
    while (i < text.size() && !isWhitespace(text[i]) && !isSpecialSymbol(text[i])) ++i;
    std::string word(text.substr(start, i - start));
    if (word == "in") {
      out.push_back({Tok::In, word});
    } else if (word == "notin") {
      out.push_back({Tok::NotIn, word});
    } else {
      out.push_back({Tok::Identifier, word});
    }
  }
}

class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : tokens_(lex(text)) {}

  // Returns the requirements, or the message of the API server's error.
  std::variant<std::vector<Requirement>, std::string> parse() {
    std::vector<Requirement> requirements;
    while (true) {
      Token t = peek(true);
      switch (t.tok) {
        case Tok::Identifier:
        case Tok::DoesNotExist: {
          auto r = parseRequirement();
          if (auto* err = std::get_if<std::string>(&r)) {
            return "unable to parse requirement: " + *err;
          }
          requirements.push_back(std::move(std::get<Requirement>(r)));
          Token next = consume(true);
          if (next.tok == Tok::End) return requirements;
          if (next.tok != Tok::Comma) {
            return "found '" + next.literal + "', expected: ',' or 'end of string'";
          }
          Token after = peek(true);
          if (after.tok != Tok::Identifier && after.tok != Tok::DoesNotExist) {
            return "found '" + after.literal + "', expected: identifier after ','";
          }
          break;
        }
        case Tok::End:
          return requirements;
        default:
          return "found '" + t.literal + "', expected: !, identifier, or 'end of string'";
      }
    }
  }

 private:
  // In a value position the keywords "in" and "notin" are plain identifiers.
  static Token asValue(Token t) {
    if (t.tok == Tok::In || t.tok == Tok::NotIn) t.tok = Tok::Identifier;
    return t;
  }
  Token peek(bool valueContext) const {
    return valueContext ? asValue(tokens_[pos_]) : tokens_[pos_];
  }
  Token consume(bool valueContext) {
    Token t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return valueContext ? asValue(std::move(t)) : t;
  }

  std::variant<Requirement, std::string> parseRequirement() {
    Requirement r;
    bool doesNotExist = false;
    Token t = consume(true);
    if (t.tok == Tok::DoesNotExist) {
      doesNotExist = true;
      t = consume(true);
    }
    if (t.tok != Tok::Identifier) return "found '" + t.literal + "', expected: identifier";
    if (auto errs = isQualifiedName(t.literal); !errs.empty()) {
      // The API server parses without a field path, so Go prints it as "<nil>".
      return invalidValue("<nil>", t.literal, join(errs, "; "));
    }
    r.key = t.literal;
    Tok next = peek(true).tok;
    if (doesNotExist || next == Tok::End || next == Tok::Comma) {
      r.op = doesNotExist ? Requirement::Op::DoesNotExist : Requirement::Op::Exists;
      return r;
    }
    Token op = consume(false);
    switch (op.tok) {
      case Tok::In:
        r.op = Requirement::Op::In;
        break;
      case Tok::NotIn:
        r.op = Requirement::Op::NotIn;
        break;
      case Tok::Equals:
      case Tok::DoubleEquals:
        r.op = Requirement::Op::Equals;
        break;
      case Tok::NotEquals:
        r.op = Requirement::Op::NotEquals;
        break;
      case Tok::GreaterThan:
      case Tok::LessThan:
        return "operator '" + op.literal + "' is not supported; use in, notin, =, == or !=";
      default:
        return "found '" + op.literal + "', expected: in, notin, =, ==, !=, gt, lt";
    }
    std::optional<std::string> err = (r.op == Requirement::Op::In || r.op == Requirement::Op::NotIn)
                                         ? parseValues(r.values)
                                         : parseExactValue(r.values);
    if (err) return *err;
    sortUnique(r.values);
    if (auto errs = requirementValueErrors(r); !errs.empty()) return aggregate(errs);
    return r;
  }

  std::optional<std::string> parseValues(std::vector<std::string>& values) {
    Token t = consume(true);
    if (t.tok != Tok::OpenPar) return "found '" + t.literal + "' expected: '('";
    Token next = peek(true);
    switch (next.tok) {
      case Tok::Identifier:
      case Tok::Comma: {
        std::string lit = next.literal;
        if (auto err = parseIdentifiersList(values)) return err;
        if (consume(true).tok != Tok::ClosedPar) return "found '" + lit + "', expected: ')'";
        return std::nullopt;
      }
      case Tok::ClosedPar:  // "()" is the set holding the empty value
        consume(true);
        values.push_back("");
        return std::nullopt;
      default:
        return "found '" + next.literal + "', expected: ',', ')' or identifier";
    }
  }

  // "a,b", with empty entries (",a", "a,,b", "a,") standing for the empty value.
  std::optional<std::string> parseIdentifiersList(std::vector<std::string>& values) {
    while (true) {
      Token t = consume(true);
      if (t.tok == Tok::Identifier) {
        values.push_back(t.literal);
        Token next = peek(true);
        if (next.tok == Tok::Comma) continue;
        if (next.tok == Tok::ClosedPar) return std::nullopt;
        return "found '" + next.literal + "', expected: ',' or ')'";
      }
      if (t.tok == Tok::Comma) {
        if (values.empty()) values.push_back("");
        Tok next = peek(true).tok;
        if (next == Tok::ClosedPar) {
          values.push_back("");
          return std::nullopt;
        }
        if (next == Tok::Comma) {
          consume(true);
          values.push_back("");
        }
        continue;
      }
      return "found '" + t.literal + "', expected: ',', or identifier";
    }
  }

  std::optional<std::string> parseExactValue(std::vector<std::string>& values) {
    Tok next = peek(true).tok;
    if (next == Tok::End || next == Tok::Comma) {
      values.push_back("");
      return std::nullopt;
    }
    Token t = consume(true);
    if (t.tok != Tok::Identifier) return "found '" + t.literal + "', expected: identifier";
    values.push_back(t.literal);
    return std::nullopt;
  }

  std::vector<Token> tokens_;  // always ends with Tok::End
  size_t pos_ = 0;
};

void sortByKey(std::vector<Requirement>& requirements) {
  std::stable_sort(requirements.begin(), requirements.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
}

// ---------------------------------------------------------------------------------------------
// Field selectors.

// The fields each kind can be selected by, beyond metadata.name and metadata.namespace; the
// same tables as the API server's field label conversion functions.
const std::vector<std::string_view>& kindFields(std::string_view kind) {
  static const std::vector<std::string_view> none;
  static const std::vector<std::string_view> pod = {
      "spec.nodeName",    "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
      "spec.hostNetwork", "status.phase",       "status.podIP",       "status.nominatedNodeName"};
  static const std::vector<std::string_view> event = {"involvedObject.kind",
                                                      "involvedObject.namespace",
                                                      "involvedObject.name",
                                                      "involvedObject.uid",
                                                      "involvedObject.apiVersion",
                                                      "involvedObject.resourceVersion",
                                                      "involvedObject.fieldPath",
                                                      "reason",
                                                      "reportingComponent",
                                                      "source",
                                                      "type"};
  static const std::vector<std::string_view> service = {"spec.type", "spec.clusterIP"};
  static const std::vector<std::string_view> phase = {"status.phase"};
  static const std::vector<std::string_view> secret = {"type"};
  static const std::vector<std::string_view> node = {"spec.unschedulable"};
  static const std::vector<std::string_view> replicas = {"status.replicas"};
  static const std::vector<std::string_view> job = {"status.successful"};
  if (kind == "Pod") return pod;
  if (kind == "Event") return event;
  if (kind == "Service") return service;
  if (kind == "Namespace") return phase;
  if (kind == "Secret") return secret;
  if (kind == "Node") return node;
  if (kind == "ReplicaSet" || kind == "ReplicationController") return replicas;
  if (kind == "Job") return job;
  return none;
}

std::vector<std::string> splitTerms(std::string_view text) {
  std::vector<std::string> terms;
  if (text.empty()) return terms;
  size_t start = 0;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (escaped) {
      escaped = false;
    } else if (text[i] == '\\') {
      escaped = true;
    } else if (text[i] == ',') {
      terms.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.emplace_back(text.substr(start));
  return terms;
}

// `\\`, `\,` and `\=` are the only escapes; bare `,` and `=` are not allowed in values.
std::variant<std::string, std::string> unescapeValue(std::string_view s) {
  std::string out;
  bool escaped = false;
  for (char c : s) {
    if (escaped) {
      if (c != '\\' && c != ',' && c != '=') {
        return std::variant<std::string, std::string>(
            std::in_place_index<1>,
            std::string("invalid field selector: invalid escape sequence: \\") + c);
      }
      out += c;
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == ',' || c == '=') {
      return std::variant<std::string, std::string>(
          std::in_place_index<1>,
          std::string("invalid field selector: unescaped character in value: ") + c);
    } else {
      out += c;
    }
  }
  if (escaped) {
    return std::variant<std::string, std::string>(
        std::in_place_index<1>, "invalid field selector: invalid escape sequence: \\");
  }
  return std::variant<std::string, std::string>(std::in_place_index<0>, std::move(out));
}

const json::value* lookup(const json::value& v, std::string_view dottedPath) {
  const json::value* cur = &v;
  size_t start = 0;
  while (true) {
    const auto* obj = cur->if_object();
    if (!obj) return nullptr;
    size_t dot = dottedPath.find('.', start);
    std::string_view step =
        dottedPath.substr(start, dot == std::string_view::npos ? dottedPath.npos : dot - start);
    cur = obj->if_contains(step);
    if (!cur) return nullptr;
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

// A field as the API server's "selectable fields" set renders it.
std::string scalarText(const json::value* v, std::string_view fallback = "") {
  if (!v || v->is_null()) return std::string(fallback);
  if (const auto* s = v->if_string()) return std::string(*s);
  if (const auto* b = v->if_bool()) return *b ? "true" : "false";
  if (const auto* i = v->if_int64()) return std::to_string(*i);
  if (const auto* u = v->if_uint64()) return std::to_string(*u);
  if (const auto* d = v->if_double()) return json::serialize(json::value(*d));
  return std::string(fallback);
}

std::string fieldValue(const json::value& object, std::string_view kind, std::string_view field) {
  if (kind == "Pod") {
    if (field == "spec.hostNetwork") return scalarText(lookup(object, field), "false");
    if (field == "status.podIP") {
      if (const auto* ips = lookup(object, "status.podIPs");
          ips && ips->is_array() && !ips->as_array().empty()) {
        return scalarText(lookup(ips->as_array().front(), "ip"));
      }
    }
  }
  if (kind == "Event" && field == "source") return scalarText(lookup(object, "source.component"));
  if (kind == "Node" && field == "spec.unschedulable") {
    return scalarText(lookup(object, field), "false");
  }
  if (field == "status.replicas" || field == "status.successful") {
    return scalarText(lookup(object, field), "0");
  }
  return scalarText(lookup(object, field));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Labels labelsFrom(const json::value* labelsObject) {
  Labels labels;
  if (!labelsObject) return labels;
  const auto* obj = labelsObject->if_object();
  if (!obj) return labels;
  for (const auto& [k, v] : *obj) {
    if (const auto* s = v.if_string()) labels.emplace(std::string(k), std::string(*s));
  }
  return labels;
}

bool Requirement::matches(const Labels& labels) const {
  auto it = labels.find(key);
  bool has = it != labels.end();
  auto inValues = [&] { return std::binary_search(values.begin(), values.end(), it->second); };
  switch (op) {
    case Op::Equals:
    case Op::In:
      return has && inValues();
    // Like Kubernetes, a missing key satisfies "!=" and "notin".
    case Op::NotEquals:
    case Op::NotIn:
      return !has || !inValues();
    case Op::Exists:
      return has;
    case Op::DoesNotExist:
      return !has;
  }
  return false;
}

LabelSelector LabelSelector::nothing() {
  LabelSelector s;
  s.matchNothing_ = true;
  return s;
}

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  auto parsed = SelectorParser(text).parse();
  if (auto* err = std::get_if<std::string>(&parsed)) return Error::badRequest(*err);
  LabelSelector s;
  s.requirements_ = std::move(std::get<std::vector<Requirement>>(parsed));
  sortByKey(s.requirements_);
  return s;
}

Result<LabelSelector> LabelSelector::fromJson(const json::value& selector) {
  // A nil *metav1.LabelSelector selects nothing; an empty one selects everything.
  if (selector.is_null()) return nothing();
  const auto* obj = selector.if_object();
  if (!obj) return Error::badRequest("invalid label selector: expected an object");
  LabelSelector s;

  if (const auto* ml = obj->if_contains("matchLabels"); ml && !ml->is_null()) {
    if (!ml->is_object()) return Error::badRequest("matchLabels: Invalid value: must be an object");
    for (const auto& [k, v] : ml->as_object()) {
      std::string key(k);
      if (auto errs = isQualifiedName(key); !errs.empty()) {
        return Error::badRequest(invalidValue("matchLabels", key, join(errs, "; ")));
      }
      const auto* value = v.if_string();
      if (!value) {
        return Error::badRequest("matchLabels." + key + ": Invalid value: must be a string");
      }
      if (auto errs = isValidLabelValue(*value); !errs.empty()) {
        return Error::badRequest(invalidValue("matchLabels", *value, join(errs, "; ")));
      }
      s.requirements_.push_back({key, Requirement::Op::Equals, {std::string(*value)}});
    }
  }

  if (const auto* me = obj->if_contains("matchExpressions"); me && !me->is_null()) {
    if (!me->is_array()) {
      return Error::badRequest("matchExpressions: Invalid value: must be a list");
    }
    const auto& list = me->as_array();
    for (size_t i = 0; i < list.size(); ++i) {
      std::string path = "matchExpressions[" + std::to_string(i) + "]";
      const auto* expr = list[i].if_object();
      if (!expr) return Error::badRequest(path + ": Invalid value: must be an object");
      Requirement r;
      if (const auto* k = expr->if_contains("key"); k && k->is_string()) r.key = k->as_string();
      std::string op;
      if (const auto* o = expr->if_contains("operator"); o && o->is_string()) op = o->as_string();
      if (const auto* vs = expr->if_contains("values"); vs && !vs->is_null()) {
        if (!vs->is_array())
          return Error::badRequest(path + ".values: Invalid value: must be a list");
        for (const auto& v : vs->as_array()) {
          if (!v.is_string()) {
            return Error::badRequest(path + ".values: Invalid value: values must be strings");
          }
          r.values.emplace_back(v.as_string());
        }
      }
      if (op == "In" || op == "NotIn") {
        r.op = op == "In" ? Requirement::Op::In : Requirement::Op::NotIn;
        if (r.values.empty()) {
          return Error::badRequest(path +
                                   ".values: Required value: must be specified when `operator` is "
                                   "'In' or 'NotIn'");
        }
      } else if (op == "Exists" || op == "DoesNotExist") {
        r.op = op == "Exists" ? Requirement::Op::Exists : Requirement::Op::DoesNotExist;
        if (!r.values.empty()) {
          return Error::badRequest(path +
                                   ".values: Forbidden: may not be specified when `operator` is "
                                   "'Exists' or 'DoesNotExist'");
        }
      } else {
        return Error::badRequest(path + ".operator: Unsupported value: " + gofmt::quote(op) +
                                 ": supported values: \"DoesNotExist\", \"Exists\", \"In\", "
                                 "\"NotIn\"");
      }
      if (auto errs = isQualifiedName(r.key); !errs.empty()) {
        return Error::badRequest(invalidValue(path + ".key", r.key, join(errs, "; ")));
      }
      sortUnique(r.values);
      for (const auto& v : r.values) {
        if (auto errs = isValidLabelValue(v); !errs.empty()) {
          return Error::badRequest(invalidValue(path + ".values", v, join(errs, "; ")));
        }
      }
      s.requirements_.push_back(std::move(r));
    }
  }
  sortByKey(s.requirements_);
  return s;
}

LabelSelector LabelSelector::fromMap(const Labels& map) {
  LabelSelector s;
  for (const auto& [k, v] : map) s.requirements_.push_back({k, Requirement::Op::Equals, {v}});
  return s;
}

bool LabelSelector::matches(const Labels& labels) const {
  if (matchNothing_) return false;
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const Requirement& r) { return r.matches(labels); });
}

std::string LabelSelector::toString() const {
  std::string out;
  for (const auto& r : requirements_) {
    if (!out.empty()) out += ',';
    if (r.op == Requirement::Op::DoesNotExist) out += '!';
    out += r.key;
    switch (r.op) {
      case Requirement::Op::Exists:
      case Requirement::Op::DoesNotExist:
        continue;
      case Requirement::Op::Equals:
        out += '=';
        break;
      case Requirement::Op::NotEquals:
        out += "!=";
        break;
      case Requirement::Op::In:
        out += " in ";
        break;
      case Requirement::Op::NotIn:
        out += " notin ";
        break;
    }
    bool set = r.op == Requirement::Op::In || r.op == Requirement::Op::NotIn;
    if (set) out += '(';
    out += join(r.values, ",");
    if (set) out += ')';
  }
  return out;
}

Result<FieldSelector> FieldSelector::parse(std::string_view text, std::string_view kind) {
  std::vector<std::string> parts = splitTerms(text);
  std::sort(parts.begin(), parts.end());
  FieldSelector s;
  s.kind_ = std::string(kind);
  for (const auto& part : parts) {
    if (part.empty()) continue;
    // The first operator wins, trying "!=" before "==" before "=" at each position.
    size_t pos = std::string::npos;
    size_t opLen = 0;
    bool negate = false;
    for (size_t i = 0; i < part.size() && pos == std::string::npos; ++i) {
      std::string_view rest = std::string_view(part).substr(i);
      if (rest.starts_with("!=")) {
        pos = i, opLen = 2, negate = true;
      } else if (rest.starts_with("==")) {
        pos = i, opLen = 2;
      } else if (rest.starts_with("=")) {
        pos = i, opLen = 1;
      }
    }
    if (pos == std::string::npos) {
      return Error::badRequest("invalid selector: '" + std::string(text) + "'; can't understand '" +
                               part + "'");
    }
    auto value = unescapeValue(std::string_view(part).substr(pos + opLen));
    if (value.index() == 1) return Error::badRequest(std::get<1>(value));
    Term term{part.substr(0, pos), std::move(std::get<0>(value)), negate};
    if (kind == "Pod" && term.field == "spec.host") term.field = "spec.nodeName";  // old clients
    const auto& extra = kindFields(kind);
    if (term.field != "metadata.name" && term.field != "metadata.namespace" &&
        std::find(extra.begin(), extra.end(), term.field) == extra.end()) {
      return Error::badRequest("field label not supported: " + term.field);
    }
    s.terms_.push_back(std::move(term));
  }
  return s;
}

bool FieldSelector::matches(const json::value& object) const {
  return std::all_of(terms_.begin(), terms_.end(), [&](const Term& t) {
    return (fieldValue(object, kind_, t.field) == t.value) != t.negate;
  });
}

}  // namespace sluice::api
