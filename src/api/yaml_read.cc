// Reading manifests: YAML (through yaml-cpp, its scalars typed as go-yaml v2 types them) or
// JSON, with kubectl's error messages and document splitting.
#include "api/yaml.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <utility>
#include <variant>

#include "api/yaml_scalar.h"

namespace sluice::api {

namespace json = boost::json;

namespace {

using yaml::formatYamlFloat;
using yaml::integralText;
using yaml::Resolved;
using yaml::resolvePlain;
using yaml::ScalarType;

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isIdentifierStart(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? true : c == '_';
}
bool isIdentifierChar(char c) {
  return isIdentifierStart(c) || isDigit(c) || c == '-' || c == '.';
}

// A `{word}` where a YAML node starts (after "key: ", "- ", or at the start of a line): a
// template placeholder such as `{your_repository}`, which YAML reads as a flow mapping.
struct Placeholder {
  std::string text;  // "{your_repository}"
  std::string word;  // "your_repository"
  int line = 0;      // 1-based
};

std::optional<Placeholder> findPlaceholder(std::string_view text) {
  int line = 1;
  size_t lineStart = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
      continue;
    }
    if (text[i] != '{') continue;
    size_t p = i;
    while (p > lineStart && text[p - 1] == ' ') --p;
    // "key: {", "- {", "[{", ", {" and "{" at the start of a line; "key:{" is plain text.
    char before = p == lineStart ? '\n' : text[p - 1];
    bool nodeStart = before == '\n' || before == '[' || before == ',' ||
                     ((before == ':' || before == '-') && p < i);
    if (!nodeStart) continue;
    size_t j = i + 1;
    while (j < text.size() && text[j] == ' ') ++j;
    size_t wordStart = j;
    if (j >= text.size() || !isIdentifierStart(text[j])) continue;
    while (j < text.size() && isIdentifierChar(text[j])) ++j;
    size_t wordEnd = j;
    while (j < text.size() && text[j] == ' ') ++j;
    if (j >= text.size() || text[j] != '}') continue;
    return Placeholder{std::string(text.substr(i, j + 1 - i)),
                       std::string(text.substr(wordStart, wordEnd - wordStart)), line};
  }
  return std::nullopt;
}

// A parse problem: `line` is 1-based within the text given to the parser, 0 when unknown.
struct Problem {
  int line = 0;
  std::string message;
  std::optional<Placeholder> placeholder;  // a likely cause, named in a hint
};

struct Document {
  json::value value;
  int line = 1;  // where the document starts
};

// `errorLine` is the line the error names; the hint names its own line only when it differs.
std::string placeholderHint(const Placeholder& p, int errorLine) {
  std::string what = "a real value";
  std::string lower;
  for (char c : p.word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("repo") != std::string::npos || lower.find("registry") != std::string::npos) {
    what = "a registry name (e.g. example.com)";
  }
  std::string where = p.line == errorLine ? "" : " on line " + std::to_string(p.line);
  return "\"" + p.text + "\"" + where + " looks like a placeholder: replace it with " + what;
}

// yaml-cpp's messages, reworded as go-yaml (and so kubectl) words them.
std::string goYamlMessage(const std::string& msg) {
  static const std::pair<std::string_view, std::string_view> table[] = {
      {YAML::ErrorMsg::END_OF_MAP, "did not find expected key"},
      {YAML::ErrorMsg::END_OF_MAP_FLOW, "did not find expected ',' or '}'"},
      {YAML::ErrorMsg::END_OF_SEQ, "did not find expected '-' indicator"},
      {YAML::ErrorMsg::END_OF_SEQ_FLOW, "did not find expected ',' or ']'"},
      {YAML::ErrorMsg::MAP_VALUE, "mapping values are not allowed in this context"},
      {YAML::ErrorMsg::UNKNOWN_TOKEN, "found character that cannot start any token"},
      {YAML::ErrorMsg::TAB_IN_INDENTATION, "found character that cannot start any token"},
      {YAML::ErrorMsg::UNKNOWN_ANCHOR, "unknown anchor referenced"},
  };
  for (const auto& [from, to] : table) {
    if (msg == from) return std::string(to);
  }
  if (msg.starts_with(YAML::ErrorMsg::INVALID_ESCAPE)) {
    return "found unknown escape character while parsing a quoted scalar";
  }
  return msg;
}

class Converter {
 public:
  explicit Converter(std::string_view text) : text_(text) {}

  std::optional<Problem> convert(const YAML::Node& node, json::value& out, int depth = 0) {
    if (depth > kMaxDepth) return Problem{lineOf(node), "exceeded max depth of nesting", {}};
    if (++nodes_ > kMaxNodes) {
      return Problem{lineOf(node), "document contains excessive aliasing", {}};
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out = nullptr;
        return std::nullopt;
      case YAML::NodeType::Scalar:
        return scalar(node, out);
      case YAML::NodeType::Sequence: {
        json::array arr;
        arr.reserve(node.size());
        for (const auto& item : node) {
          json::value v;
          if (auto p = convert(item, v, depth + 1)) return p;
          arr.push_back(std::move(v));
        }
        out = std::move(arr);
        return std::nullopt;
      }
      case YAML::NodeType::Map: {
        if (auto p = placeholderMap(node)) return p;
        json::object obj;
        for (const auto& kv : node) {
          if (isMergeKey(kv.first)) {
            if (auto p = merge(kv.second, obj, depth)) return p;
            continue;
          }
          std::string key;
          if (auto p = keyText(kv.first, key)) return p;
          json::value v;
          if (auto p = convert(kv.second, v, depth + 1)) return p;
          obj.insert_or_assign(key, std::move(v));  // the last duplicate wins, as in go-yaml v2
        }
        out = std::move(obj);
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

 private:
  static constexpr int kMaxDepth = 1000;
  static constexpr size_t kMaxNodes = 1'000'000;

  static int lineOf(const YAML::Node& node) {
    int line = node.Mark().line;
    return line >= 0 ? line + 1 : 0;
  }

  static bool isPlain(const YAML::Node& node) { return node.Tag() == "?"; }

  static bool isMergeKey(const YAML::Node& key) {
    return key.IsScalar() && isPlain(key) && key.Scalar() == "<<";
  }

  // `<<: *base` or `<<: [*a, *b]`: keys of the merged mappings, the first mapping winning.
  std::optional<Problem> merge(const YAML::Node& source, json::object& into, int depth) {
    // YAML::Node's assignment rewrites the node it refers to, so the list is only appended to
    // and walked backwards, never reordered in place.
    std::vector<YAML::Node> maps;
    if (source.IsMap()) {
      maps.push_back(source);
    } else if (source.IsSequence()) {
      for (const auto& item : source) maps.push_back(item);
    }
    for (auto it = maps.rbegin(); it != maps.rend(); ++it) {
      const YAML::Node& m = *it;
      if (!m.IsMap()) {
        return Problem{
            lineOf(source), "map merge requires map or sequence of maps as the value", {}};
      }
      json::value merged;
      if (auto p = convert(m, merged, depth + 1)) return p;
      for (auto& kv : merged.as_object()) into.insert_or_assign(kv.key(), std::move(kv.value()));
    }
    return std::nullopt;
  }

  std::optional<Problem> keyText(const YAML::Node& key, std::string& out) {
    if (key.IsNull()) {
      return Problem{lineOf(key), "Unsupported map key of type: <nil>, key: <nil>", {}};
    }
    if (!key.IsScalar()) {
      return Problem{lineOf(key), "Unsupported map key: a mapping or sequence cannot be a key", {}};
    }
    json::value v;
    if (auto p = scalar(key, v)) return p;
    // sigs.k8s.io/yaml turns non-string keys into strings.
    switch (v.kind()) {
      case json::kind::string:
        out = v.get_string();
        break;
      case json::kind::bool_:
        out = v.get_bool() ? "true" : "false";
        break;
      case json::kind::int64:
        out = std::to_string(v.get_int64());
        break;
      case json::kind::uint64:
        out = std::to_string(v.get_uint64());
        break;
      case json::kind::double_:
        out = formatYamlFloat(v.get_double(), true);
        break;
      default:
        return Problem{lineOf(key), "Unsupported map key of type: <nil>, key: <nil>", {}};
    }
    // Integral floats were turned into integers; go-yaml would have kept "1.0" as a float key.
    if (v.is_int64() && isPlain(key) && key.Scalar().find_first_of(".eE") != std::string::npos) {
      out = formatYamlFloat(static_cast<double>(v.get_int64()), true);
    }
    return std::nullopt;
  }

  std::optional<Problem> scalar(const YAML::Node& node, json::value& out) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    static const std::string yamlTag = "tag:yaml.org,2002:";
    if (tag == "!" || tag == yamlTag + "str" || tag == yamlTag + "binary" ||
        tag == yamlTag + "timestamp" || (tag != "?" && !tag.starts_with(yamlTag))) {
      out = json::string(text);  // quoted, block and custom-tagged scalars are strings
      return std::nullopt;
    }
    Resolved r = resolvePlain(text);
    if (tag != "?") {
      std::string want = tag.substr(yamlTag.size());
      bool ok = (want == "int" && (r.type == ScalarType::Int || r.type == ScalarType::Uint)) ||
                (want == "float" && (r.type == ScalarType::Float || r.type == ScalarType::Int ||
                                     r.type == ScalarType::Uint)) ||
                (want == "bool" && r.type == ScalarType::Bool) ||
                (want == "null" && r.type == ScalarType::Null) ||
                (want != "int" && want != "float" && want != "bool" && want != "null");
      if (!ok) {
        return Problem{lineOf(node), "cannot decode `" + text + "` as a !!" + want, {}};
      }
      if (want == "float" && r.type == ScalarType::Int)
        r = Resolved{ScalarType::Float, false, 0, 0, static_cast<double>(r.i)};
    }
    switch (r.type) {
      case ScalarType::String:
      case ScalarType::Timestamp:
        out = json::string(text);
        break;
      case ScalarType::Null:
        out = nullptr;
        break;
      case ScalarType::Bool:
        out = r.b;
        break;
      case ScalarType::Int:
        out = r.i;
        break;
      case ScalarType::Uint:
        out = r.u;
        break;
      case ScalarType::Float: {
        if (!std::isfinite(r.d)) {
          return Problem{lineOf(node),
                         "json: unsupported value: " + formatYamlFloat(r.d) + " (`" + text + "`)",
                         {}};
        }
        // A float that holds an integer reaches the API server as a JSON integer ("1.0" -> 1).
        auto integral = integralText(r.d);
        if (integral && r.d >= -9223372036854775808.0 && r.d < 9223372036854775808.0) {
          out = static_cast<int64_t>(r.d);
        } else if (integral) {
          out = static_cast<uint64_t>(r.d);
        } else {
          out = r.d;
        }
        break;
      }
    }
    return std::nullopt;
  }

  // `image: {your_repository}/nginx:v1` fails to parse, but `image: {your_repository}` parses as
  // a mapping with one null entry; both are a template placeholder left in the text.
  std::optional<Problem> placeholderMap(const YAML::Node& node) {
    if (node.Style() != YAML::EmitterStyle::Flow || node.size() != 1) return std::nullopt;
    auto kv = *node.begin();
    if (!kv.first.IsScalar() || !isPlain(kv.first) || !kv.second.IsNull()) return std::nullopt;
    int line = lineOf(node);
    if (line == 0) return std::nullopt;
    std::string_view lineText = lineAt(line);
    auto p = findPlaceholder(lineText);
    if (!p || p->word != kv.first.Scalar()) return std::nullopt;
    p->line = line;
    return Problem{line, "found flow mapping \"" + p->text + "\" where a value was expected", p};
  }

  std::string_view lineAt(int line) const {
    size_t start = 0;
    for (int l = 1; l < line; ++l) {
      start = text_.find('\n', start);
      if (start == std::string_view::npos) return {};
      ++start;
    }
    size_t end = text_.find('\n', start);
    return text_.substr(start, end == std::string_view::npos ? text_.npos : end - start);
  }

  std::string_view text_;
  size_t nodes_ = 0;
};

int lineAtOffset(std::string_view text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// One or more concatenated JSON texts (kubectl decodes a JSON stream this way). nullopt when the
// text is not JSON, so that it is read as YAML (of which JSON is a subset) instead.
std::optional<std::vector<Document>> parseJsonStream(std::string_view text) {
  std::vector<Document> docs;
  json::parse_options options;
  options.max_depth = 1000;  // the default of 32 is too shallow for some CRD schemas
  json::stream_parser parser({}, options);
  size_t pos = 0;
  auto skipSpace = [&] {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r' || text[pos] == '\n')) {
      ++pos;
    }
  };
  skipSpace();
  while (pos < text.size()) {
    if (text[pos] != '{' && text[pos] != '[') return std::nullopt;
    parser.reset();
    boost::system::error_code ec;
    size_t used = parser.write_some(text.data() + pos, text.size() - pos, ec);
    if (ec || !parser.done()) return std::nullopt;
    docs.push_back({parser.release(), lineAtOffset(text, pos)});
    pos += used;
    skipSpace();
  }
  return docs;
}

// yaml-cpp 0.7 does not consume a stray token at the top of a document (`,` in ", a" or after
// "[a]"): it reports an empty document and starts the next one at the same token, forever, so
// YAML::LoadAll never returns. This pass walks the events first and stops a stream whose next
// document starts where the previous one did.
class ProgressCheck : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (started_ && mark.pos == last_.pos) {
      throw YAML::ParserException(mark, "did not find expected node content");
    }
    started_ = true;
    last_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  bool started_ = false;
  YAML::Mark last_;
};

std::variant<std::vector<Document>, Problem> parseYamlStream(std::string_view text) {
  std::optional<std::vector<YAML::Node>> nodes;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    ProgressCheck check;
    while (parser.HandleNextDocument(check)) {
    }
    nodes.emplace(YAML::LoadAll(std::string(text)));
  } catch (const YAML::DeepRecursion& e) {  // its own message is a misleading "bad file"
    return Problem{e.mark.line >= 0 ? e.mark.line + 1 : 0, "exceeded max depth of nesting", {}};
  } catch (const YAML::Exception& e) {
    return Problem{e.mark.line >= 0 ? e.mark.line + 1 : 0, goYamlMessage(e.msg),
                   findPlaceholder(text)};
  }
  std::vector<Document> docs;
  Converter converter(text);
  for (const auto& node : *nodes) {
    Document d;
    int line = node.Mark().line;
    d.line = line >= 0 ? line + 1 : 1;
    try {
      if (auto p = converter.convert(node, d.value)) return *p;
    } catch (const YAML::Exception& e) {
      return Problem{e.mark.line >= 0 ? e.mark.line + 1 : 0, goYamlMessage(e.msg), {}};
    }
    docs.push_back(std::move(d));
  }
  return docs;
}

// A stream of documents; JSON when it looks like JSON and parses as such.
std::variant<std::vector<Document>, Problem> parseStream(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
    if (auto docs = parseJsonStream(text)) return std::move(*docs);
  }
  return parseYamlStream(text);
}

// `lineOffset` renumbers lines of a chunk as lines of the whole text.
std::string describe(const Problem& p, int lineOffset = 0) {
  std::string msg = "error converting YAML to JSON: yaml: ";
  if (p.line > 0) msg += "line " + std::to_string(p.line + lineOffset) + ": ";
  msg += p.message;
  if (p.placeholder) {
    Placeholder placeholder = *p.placeholder;
    placeholder.line += lineOffset;
    msg += "; " + placeholderHint(placeholder, p.line > 0 ? p.line + lineOffset : 0);
  }
  return msg;
}

// Splits a stream at "---" lines, as kubectl's YAML reader does; each chunk keeps the number of
// lines before it so that messages name lines of the whole text.
struct Chunk {
  std::string_view text;
  int lineOffset;
};

std::vector<Chunk> splitDocuments(std::string_view text) {
  std::vector<Chunk> chunks;
  size_t chunkStart = 0;
  int chunkLine = 0;
  int line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    if (l.starts_with("---")) {
      std::string_view rest = l.substr(3);
      size_t k = rest.find_first_not_of(" \t\r");
      if (k == std::string_view::npos || rest[k] == '#') {
        chunks.push_back({text.substr(chunkStart, pos - chunkStart), chunkLine});
        chunkStart = end + 1 <= text.size() ? end + 1 : text.size();
        chunkLine = line + 1;
      }
    }
    ++line;
    if (end == text.size()) break;
    pos = end + 1;
  }
  chunks.push_back({text.substr(std::min(chunkStart, text.size())), chunkLine});
  return chunks;
}

const char* kindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::array:
      return "a list";
    case json::kind::string:
      return "a string";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::null:
      return "null";
    default:
      return "a number";
  }
}

// Appends an object, or the items of a List (nested Lists too).
std::optional<std::string> expandInto(json::value v, int line, std::vector<json::value>& out) {
  auto* obj = v.if_object();
  if (!obj) {
    return "line " + std::to_string(line) + ": expected an object (a Kubernetes manifest), found " +
           kindName(v);
  }
  std::string kind;
  if (auto* k = obj->if_contains("kind"); k && k->is_string()) kind = k->as_string();
  auto* items = obj->if_contains("items");
  bool isList = kind == "List" ? (!items || items->is_array() || items->is_null())
                               : (kind.ends_with("List") && items && items->is_array());
  if (!isList) {
    out.push_back(std::move(v));
    return std::nullopt;
  }
  if (!items || items->is_null()) return std::nullopt;
  // Items of a typed list ("DeploymentList") may leave out their kind and apiVersion.
  std::string itemKind = kind == "List" ? "" : kind.substr(0, kind.size() - 4);
  json::value apiVersion = obj->contains("apiVersion") ? obj->at("apiVersion") : json::value();
  for (auto& item : items->as_array()) {
    if (auto* io = item.if_object(); io && !itemKind.empty()) {
      if (!io->contains("kind")) (*io)["kind"] = itemKind;
      if (!io->contains("apiVersion") && apiVersion.is_string()) (*io)["apiVersion"] = apiVersion;
    }
    if (auto err = expandInto(std::move(item), line, out)) return err;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<json::value>> parseManifests(std::string_view text, std::string_view source) {
  std::vector<json::value> out;
  const std::string prefix = "error parsing " + std::string(source) + ": ";
  for (const Chunk& chunk : splitDocuments(text)) {
    if (chunk.text.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
    auto parsed = parseStream(chunk.text);
    if (auto* problem = std::get_if<Problem>(&parsed)) {
      return Error::badRequest(prefix + describe(*problem, chunk.lineOffset));
    }
    for (auto& doc : std::get<std::vector<Document>>(parsed)) {
      if (doc.value.is_null()) continue;  // an empty document
      if (auto err = expandInto(std::move(doc.value), doc.line + chunk.lineOffset, out)) {
        return Error::badRequest(prefix + *err);
      }
    }
  }
  return out;
}

Result<json::value> parseYamlDocument(std::string_view text) {
  auto parsed = parseStream(text);
  if (auto* problem = std::get_if<Problem>(&parsed)) return Error::badRequest(describe(*problem));
  auto& docs = std::get<std::vector<Document>>(parsed);
  // Empty documents around the one with content ("---\nkind: A\n---\n") do not count.
  std::erase_if(docs, [](const Document& d) { return d.value.is_null(); });
  if (docs.empty()) return json::value(nullptr);
  if (docs.size() > 1) {
    return Error::badRequest("expected a single YAML or JSON document, found " +
                             std::to_string(docs.size()));
  }
  return std::move(docs.front().value);
}

}  // namespace sluice::api
