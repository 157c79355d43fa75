// Table-driven tests of JSON merge patch (RFC 7386) and JSON patch (RFC 6902).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/patch.h"
#include "patch_test_util.h"

namespace sluice::api {
namespace {

namespace json = boost::json;
using patchtest::parse;

// ---------------------------------------------------------------------------------------------
// JSON merge patch (RFC 7386; the first cases are its Appendix A)
// ---------------------------------------------------------------------------------------------

struct MergePatchCase {
  const char* name;
  const char* target;
  const char* patch;
  const char* want;
};

const MergePatchCase kMergePatchCases[] = {
    {"ReplaceMember", R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {"AddMember", R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {"NullRemovesOnlyMember", R"({"a":"b"})", R"({"a":null})", R"({})"},
    {"NullRemovesMember", R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {"ScalarReplacesList", R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {"ListReplacesScalar", R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {"NestedMergeAndDelete", R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})",
     R"({"a":{"b":"d"}})"},
    {"ListsAreReplacedNotMerged", R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {"ListPatchReplacesListTarget", R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {"ListPatchReplacesObject", R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {"NullPatchReplacesEverything", R"({"a":"foo"})", R"(null)", R"(null)"},
    {"ScalarPatchReplacesEverything", R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {"ExistingNullIsKept", R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {"ObjectPatchOnListTarget", R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {"NullsInNewSubtreesAreDropped", R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
    {"KubectlScale", R"({"spec":{"replicas":2,"paused":true},"status":{"replicas":2}})",
     R"({"spec":{"replicas":4}})",
     R"({"spec":{"replicas":4,"paused":true},"status":{"replicas":2}})"},
};

class MergePatchTest : public ::testing::TestWithParam<MergePatchCase> {};

TEST_P(MergePatchTest, Applies) {
  const auto& c = GetParam();
  auto got = applyMergePatch(parse(c.target), parse(c.patch));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, parse(c.want)) << json::serialize(*got);
}

INSTANTIATE_TEST_SUITE_P(Rfc7386, MergePatchTest, ::testing::ValuesIn(kMergePatchCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// JSON patch (RFC 6902; most cases are its Appendix A)
// ---------------------------------------------------------------------------------------------

struct JsonPatchCase {
  const char* name;
  const char* doc;
  const char* patch;
  const char* want;
};

const JsonPatchCase kJsonPatchCases[] = {
    {"AddObjectMember", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
     R"({"baz":"qux","foo":"bar"})"},
    {"AddArrayElement", R"({"foo":["bar","baz"]})",
     R"([{"op":"add","path":"/foo/1","value":"qux"}])", R"({"foo":["bar","qux","baz"]})"},
    {"RemoveObjectMember", R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])",
     R"({"foo":"bar"})"},
    {"RemoveArrayElement", R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])",
     R"({"foo":["bar","baz"]})"},
    {"ReplaceValue", R"({"baz":"qux","foo":"bar"})",
     R"([{"op":"replace","path":"/baz","value":"boo"}])", R"({"baz":"boo","foo":"bar"})"},
    {"MoveValue", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
     R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
     R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
    {"MoveArrayElement", R"({"foo":["all","grass","cows","eat"]})",
     R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
     R"({"foo":["all","cows","eat","grass"]})"},
    {"TestSucceeds", R"({"baz":"qux","foo":["a",2,"c"]})",
     R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
     R"({"baz":"qux","foo":["a",2,"c"]})"},
    {"AddNestedMember", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
     R"({"foo":"bar","child":{"grandchild":{}}})"},
    {"UnknownMembersIgnored", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})"},
    {"TildeEscapes", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])",
     R"({"/":9,"~1":10})"},
    {"SlashEscape", R"({"metadata":{"annotations":{}}})",
     R"([{"op":"add","path":"/metadata/annotations/example.com~1owner","value":"me"}])",
     R"({"metadata":{"annotations":{"example.com/owner":"me"}}})"},
    {"AppendWithDash", R"({"foo":["bar"]})",
     R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])", R"({"foo":["bar",["abc","def"]]})"},
    {"AddReplacesExistingMember", R"({"a":1})", R"([{"op":"add","path":"/a","value":2}])",
     R"({"a":2})"},
    {"CopyValue", R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])",
     R"({"a":{"b":1},"c":{"b":1}})"},
    {"ReplaceWholeDocument", R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])",
     R"({"b":2})"},
    {"TestComparesNumbersByValue", R"({"a":1})", R"([{"op":"test","path":"/a","value":1.0}])",
     R"({"a":1})"},
    {"EmptyPatch", R"({"a":1})", R"([])", R"({"a":1})"},
    {"RolloutUndo", R"({"metadata":{"annotations":{"a":"1"}},"spec":{"template":{"x":1}}})",
     R"([{"op":"replace","path":"/spec/template","value":{"x":2}},
         {"op":"replace","path":"/metadata/annotations","value":{"a":"2"}}])",
     R"({"metadata":{"annotations":{"a":"2"}},"spec":{"template":{"x":2}}})"},
};

class JsonPatchTest : public ::testing::TestWithParam<JsonPatchCase> {};

TEST_P(JsonPatchTest, Applies) {
  const auto& c = GetParam();
  auto got = applyJsonPatch(parse(c.doc), parse(c.patch));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, parse(c.want)) << json::serialize(*got);
}

INSTANTIATE_TEST_SUITE_P(Rfc6902, JsonPatchTest, ::testing::ValuesIn(kJsonPatchCases),
                         [](const auto& info) { return std::string(info.param.name); });

// Operations that do not apply to the document are 422 Invalid (as the API server answers);
// malformed patch documents are 400 BadRequest. The message names the operation and the path.
struct JsonPatchErrorCase {
  const char* name;
  const char* doc;
  const char* patch;
  int code;
  const char* op;    // must appear in the message
  const char* path;  // must appear in the message
};

const JsonPatchErrorCase kJsonPatchErrorCases[] = {
    {"TestFails", R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])", 422, "test",
     "/baz"},
    {"TestStringIsNotNumber", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])",
     422, "test", "/~01"},
    {"AddToMissingParent", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])",
     422, "add", "/baz/bat"},
    {"ReplaceMissingPath", R"({"spec":{}})",
     R"([{"op":"replace","path":"/spec/replicas","value":3}])", 422, "replace", "/spec/replicas"},
    {"RemoveMissingPath", R"({"a":1})", R"([{"op":"remove","path":"/b"}])", 422, "remove", "/b"},
    {"IndexOutOfBounds", R"({"a":[1]})", R"([{"op":"add","path":"/a/5","value":2}])", 422, "add",
     "/a/5"},
    {"IndexWithLeadingZero", R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/01"}])", 422, "remove",
     "/a/01"},
    {"MoveIntoItsOwnChild", R"({"a":{"b":{}}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])",
     422, "move", "/a/b/c"},
    {"MoveFromMissingPath", R"({"a":1})", R"([{"op":"move","from":"/x","path":"/y"}])", 422, "move",
     "/x"},
    {"CopyFromMissingPath", R"({"a":1})", R"([{"op":"copy","from":"/x","path":"/y"}])", 422, "copy",
     "/x"},
    {"StopsAtTheFirstFailure", R"({"a":1})",
     R"([{"op":"add","path":"/b","value":2},{"op":"remove","path":"/zz"}])", 422, "remove", "/zz"},
    {"UnknownOperation", R"({"a":1})", R"([{"op":"frobnicate","path":"/a"}])", 400, "frobnicate",
     "/a"},
    {"MissingValue", R"({"a":1})", R"([{"op":"add","path":"/b"}])", 400, "add", "/b"},
    {"MissingPath", R"({"a":1})", R"([{"op":"add","value":1}])", 400, "add", ""},
    {"MissingFrom", R"({"a":1})", R"([{"op":"move","path":"/b"}])", 400, "move", "/b"},
    {"PointerWithoutSlash", R"({"a":1})", R"([{"op":"remove","path":"a"}])", 400, "", "a"},
    {"PointerWithBadEscape", R"({"a":1})", R"([{"op":"remove","path":"/~2"}])", 400, "", "/~2"},
    {"NotAList", R"({"a":1})", R"({"op":"add","path":"/b","value":2})", 400, "", ""},
    {"OperationNotAnObject", R"({"a":1})", R"(["add"])", 400, "", ""},
};

class JsonPatchErrorTest : public ::testing::TestWithParam<JsonPatchErrorCase> {};

TEST_P(JsonPatchErrorTest, IsRejected) {
  const auto& c = GetParam();
  auto got = applyJsonPatch(parse(c.doc), parse(c.patch));
  ASSERT_FALSE(got.ok()) << json::serialize(*got);
  EXPECT_EQ(got.error().code, c.code) << got.error().message;
  EXPECT_EQ(got.error().reason, c.code == 400 ? "BadRequest" : "Invalid");
  EXPECT_NE(got.error().message.find(c.op), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find(c.path), std::string::npos) << got.error().message;
}

INSTANTIATE_TEST_SUITE_P(Rfc6902, JsonPatchErrorTest, ::testing::ValuesIn(kJsonPatchErrorCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sluice::api
