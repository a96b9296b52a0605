/*  Tests for sw_docload: JSON and YAML into documents, YAML's scalar
    resolution, anchors, merges and CloudFormation short forms, the bounds
    on untrusted input, and errors that name file, line and column. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sw_docload.h"
#include "sw_testutil.h"

static sw_arena_t *arena;
static sw_doclist_t docs;
static char err[512];

static void s_setup (void)
{
    arena = sw_arena_new ();
    cr_assert_not_null (arena);
    memset (&docs, 0, sizeof docs);
    err[0] = 0;
}

static void s_teardown (void)
{
    sw_arena_destroy (&arena);
}

TestSuite (docload, .init = s_setup, .fini = s_teardown);

static int s_load (const char *name, const char *text, sw_docfmt_t fmt)
{
    return sw_doc_load (arena, name, text, strlen (text), fmt, &docs, err, sizeof err);
}

//  Loads text that must be exactly one document and returns it.
static sw_val_t *s_one (const char *name, const char *text, sw_docfmt_t fmt)
{
    docs.n = 0;
    int rc = s_load (name, text, fmt);
    cr_assert_eq (rc, 0, "refused: %s\n%s", err, text);
    cr_assert_eq (docs.n, 1, "%zu documents from\n%s", docs.n, text);
    return docs.docs[0];
}

static sw_val_t *s_yaml (const char *text)
{
    return s_one ("t.yaml", text, SW_FMT_YAML);
}

//  Compact JSON of v, in a static buffer.
static const char *s_json (const sw_val_t *v)
{
    static char text[4096];
    char *json = sw_val_to_json (v, sizeof text - 8);
    cr_assert_not_null (json);
    snprintf (text, sizeof text, "%s", json);
    free (json);
    return text;
}

//  Asserts that a YAML text becomes the document whose JSON is `expected`.
static void s_yaml_is (const char *text, const char *expected)
{
    const char *got = s_json (s_yaml (text));
    cr_assert_str_eq (got, expected, "\n    text: %s\n     got: %s\nexpected: %s", text, got,
                      expected);
}

//  Asserts that text is refused with exactly the message `expected`.
static void s_refused (const char *name, const char *text, sw_docfmt_t fmt, const char *expected)
{
    int rc = s_load (name, text, fmt);
    cr_assert_eq (rc, -1, "accepted:\n%.200s", text);
    cr_assert_str_eq (err, expected, "\n     got: %s\nexpected: %s", err, expected);
}

static char *s_repeat (const char *head, const char *unit, size_t count, const char *tail)
{
    size_t size = strlen (head) + strlen (unit) * count + strlen (tail) + 1;
    char *text = malloc (size);
    cr_assert_not_null (text);
    size_t unit_len = strlen (unit);
    char *p = text + sprintf (text, "%s", head);
    for (size_t i = 0; i < count; i++, p += unit_len)
        memcpy (p, unit, unit_len);
    sprintf (p, "%s", tail);
    return text;
}

//  ------------------------------------------------------------------------
//  JSON

Test (docload, json_values_keep_their_types)
{
    sw_val_t *doc = s_one ("t.json",
                           "{\"s\": \"x\", \"i\": -42, \"r\": 1.5, \"e\": 1e3, \"t\": true,"
                           " \"f\": false, \"n\": null, \"a\": [1, \"2\"], \"m\": {}}",
                           SW_FMT_JSON);
    cr_assert_eq (doc->type, SW_VMAP);
    cr_assert_str_eq (sw_val_cstr (sw_val_get (doc, "s")), "x");
    cr_assert_eq (sw_val_get (doc, "i")->type, SW_VINT);
    cr_assert_eq (sw_val_get (doc, "i")->i, -42);
    cr_assert_eq (sw_val_get (doc, "r")->type, SW_VREAL);
    cr_assert_eq (sw_val_get (doc, "r")->r, 1.5);
    cr_assert_eq (sw_val_get (doc, "e")->type, SW_VREAL);
    cr_assert_eq (sw_val_get (doc, "t")->type, SW_VBOOL);
    cr_assert (sw_val_get (doc, "t")->b);
    cr_assert_not (sw_val_get (doc, "f")->b);
    cr_assert_eq (sw_val_get (doc, "n")->type, SW_VNULL);
    cr_assert_eq (sw_val_get (doc, "a")->type, SW_VARR);
    cr_assert_eq (sw_val_count (sw_val_get (doc, "a")), 2);
    cr_assert_eq (sw_val_get (doc, "m")->type, SW_VMAP);
    cr_assert_eq (sw_val_count (sw_val_get (doc, "m")), 0);
    cr_assert_str_eq (s_json (doc), "{\"s\":\"x\",\"i\":-42,\"r\":1.5,\"e\":1000,\"t\":true,"
                                    "\"f\":false,\"n\":null,\"a\":[1,\"2\"],\"m\":{}}");
}

Test (docload, json_keys_keep_source_order)
{
    sw_val_t *doc = s_one ("t.json", "{\"z\": 1, \"a\": 2, \"m\": 3}", SW_FMT_JSON);
    cr_assert_str_eq (doc->map.kv[0].key, "z");
    cr_assert_str_eq (doc->map.kv[1].key, "a");
    cr_assert_str_eq (doc->map.kv[2].key, "m");
}

Test (docload, json_duplicate_key_keeps_the_last_value)
{
    cr_assert_str_eq (s_json (s_one ("t.json", "{\"a\": 1, \"b\": 2, \"a\": 3}", SW_FMT_JSON)),
                      "{\"a\":3,\"b\":2}");
}

Test (docload, json_top_level_array_is_one_document)
{
    sw_val_t *doc = s_one ("t.json", "[{\"a\": 1}, {\"a\": 2}]", SW_FMT_JSON);
    cr_assert_eq (doc->type, SW_VARR);
    cr_assert_eq (doc->arr.n, 2);
}

Test (docload, json_top_level_scalar_is_a_document)
{
    sw_val_t *doc = s_one ("t.json", " \"just text\" ", SW_FMT_JSON);
    cr_assert_str_eq (sw_val_cstr (doc), "just text");
}

Test (docload, json_values_have_no_position)
{
    sw_val_t *doc = s_one ("t.json", "{\n \"a\": [1]\n}", SW_FMT_JSON);
    cr_assert_eq (doc->line, 0);
    cr_assert_eq (sw_val_get (doc, "a")->line, 0);
    cr_assert_eq (sw_val_get (doc, "a")->col, 0);
}

Test (docload, json_string_keeps_escaped_nul_with_its_length)
{
    sw_val_t *doc = s_one ("t.json", "[\"a\\u0000b\"]", SW_FMT_JSON);
    cr_assert_eq (doc->arr.items[0]->str.len, 3);
    cr_assert_eq (memcmp (doc->arr.items[0]->str.s, "a\0b", 4), 0);
}

Test (docload, json_nul_in_key_is_refused)
{
    s_refused ("t.json", "{\"a\\u0000b\": 1}", SW_FMT_JSON,
               "t.json:1:11: NUL byte in object key not supported near '\"a\\u0000b\"'");
}

Test (docload, json_syntax_error_names_file_line_and_column)
{
    s_refused ("data/x.json", "{\n  \"a\": 1,\n  x}", SW_FMT_JSON,
               "data/x.json:3:3: string or '}' expected near 'x'");
}

Test (docload, json_trailing_garbage_is_refused)
{
    s_refused ("t.json", "[1] x", SW_FMT_JSON, "t.json:1:5: end of file expected near 'x'");
}

Test (docload, json_integer_beyond_64_bits_is_refused_by_jansson)
{
    s_refused ("t.json", "[12345678901234567890]", SW_FMT_JSON,
               "t.json:1:21: too big integer near '12345678901234567890'");
}

Test (docload, json_invalid_utf8_is_refused)
{
    s_refused ("t.json", "[1,\n\"\xff\"]", SW_FMT_JSON,
               "t.json:2:1: unable to decode byte 0xff near '\"'");
}

Test (docload, json_error_text_is_sanitised)
{
    s_refused ("t.json", "[1, \x1b[31m]", SW_FMT_JSON, "t.json:1:5: invalid token near '?'");
}

Test (docload, json_nesting_of_64_is_accepted)
{
    char *text = s_repeat ("", "[", 64, "");
    char *close = s_repeat (text, "]", 64, "");
    sw_val_t *doc = s_one ("t.json", close, SW_FMT_JSON);
    cr_assert_eq (doc->type, SW_VARR);
    free (text);
    free (close);
}

Test (docload, json_nesting_deeper_than_64_is_refused_with_position)
{
    char *open = s_repeat ("{\"a\":\n ", "[", 64, "");
    char *text = s_repeat (open, "]", 64, "}");
    s_refused ("t.json", text, SW_FMT_JSON, "t.json:2:65: nesting deeper than 64");
    free (open);
    free (text);
}

Test (docload, json_over_the_value_budget_is_refused_before_copying)
{
    //  null is a singleton in jansson: the input costs little memory
    char *text = s_repeat ("[null", ",null", SW_DOC_MAX_NODES, "]");
    s_refused ("t.json", text, SW_FMT_JSON, "t.json: more than 8388608 values");
    cr_assert_lt (sw_arena_used (arena), 1024 * 1024);
    free (text);
}

Test (docload, json_bom_is_skipped)
{
    sw_val_t *doc = s_one ("t.json", "\xEF\xBB\xBF{\"a\": 1}", SW_FMT_JSON);
    cr_assert_eq (sw_val_get (doc, "a")->i, 1);
}

//  ------------------------------------------------------------------------
//  Empty input, AUTO, limits

Test (docload, empty_input_gives_zero_documents)
{
    const char *texts[] = {"", "  \n\t\r\n", "# only a comment\n"};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq (s_load ("t.yaml", texts[i], SW_FMT_YAML), 0, "%s", err);
        cr_assert_eq (docs.n, 0);
        if (i < 2) {
            cr_assert_eq (s_load ("t.json", texts[i], SW_FMT_JSON), 0, "%s", err);
            cr_assert_eq (s_load ("t", texts[i], SW_FMT_AUTO), 0, "%s", err);
            cr_assert_eq (docs.n, 0);
        }
    }
    cr_assert_eq (sw_doc_load (arena, "t", NULL, 0, SW_FMT_AUTO, &docs, err, sizeof err), 0);
    cr_assert_eq (docs.n, 0);
}

Test (docload, auto_picks_json_by_name)
{
    //  Valid YAML, invalid JSON: the name decides
    s_refused ("a/b.JSON", "a: 1\n", SW_FMT_AUTO, "a/b.JSON:1:1: invalid token near 'a'");
    cr_assert_eq (s_load ("a/b.json.yaml", "a: 1\n", SW_FMT_AUTO), 0, "%s", err);
}

Test (docload, auto_picks_json_by_first_character)
{
    //  A YAML-only comment after the value tells which parser ran
    s_refused ("t.txt", "  \n{\"a\": 1} # c\n", SW_FMT_AUTO,
               "t.txt:2:10: end of file expected near '#'");
    s_refused ("t.txt", "[1] # c\n", SW_FMT_AUTO, "t.txt:1:5: end of file expected near '#'");
    cr_assert_eq (s_load ("t.txt", "# c\n{\"a\": 1}\n", SW_FMT_AUTO), 0, "%s", err);
    cr_assert_eq (s_load ("t.txt", "a: {\"b\": 1} # c\n", SW_FMT_AUTO), 0, "%s", err);
}

Test (docload, data_over_the_size_limit_is_refused_unread)
{
    //  The length is checked before any byte is read
    const char byte = 0;
    int rc = sw_doc_load (arena, "big.json", &byte, (size_t)SW_DOC_MAX_BYTES + 1, SW_FMT_JSON,
                          &docs, err, sizeof err);
    cr_assert_eq (rc, -1);
    cr_assert_str_eq (err, "big.json: file is 67108865 bytes, over the limit of 67108864 bytes");
}

Test (docload, error_buffer_may_be_absent)
{
    cr_assert_eq (sw_doc_load (arena, "t", "[", 1, SW_FMT_JSON, &docs, NULL, 0), -1);
    cr_assert_eq (sw_doc_load (arena, NULL, "[", 1, SW_FMT_JSON, &docs, err, sizeof err), -1);
    cr_assert_str_eq (err, "<doc>:1:1: ']' expected near end of file");
}

Test (docload, doclist_grows_and_keeps_order)
{
    sw_val_t *vals[100];
    for (int i = 0; i < 100; i++) {
        vals[i] = sw_val_int (arena, i);
        sw_doclist_push (arena, &docs, vals[i]);
    }
    cr_assert_eq (docs.n, 100);
    cr_assert_geq (docs.cap, 100);
    for (int i = 0; i < 100; i++)
        cr_assert_eq (docs.docs[i], vals[i]);
}

Test (docload, documents_are_appended_to_the_list)
{
    cr_assert_eq (s_load ("a.json", "[1]", SW_FMT_JSON), 0);
    cr_assert_eq (s_load ("b.yaml", "x\n---\ny\n", SW_FMT_YAML), 0);
    cr_assert_eq (docs.n, 3);
    cr_assert_str_eq (sw_val_cstr (docs.docs[2]), "y");
}

//  ------------------------------------------------------------------------
//  YAML streams and scalars

Test (docload, yaml_stream_gives_one_document_each)
{
    cr_assert_eq (s_load ("t.yaml", "a: 1\n---\nb: 2\n---\n- 3\n...\n--- 4\n", SW_FMT_YAML), 0,
                  "%s", err);
    cr_assert_eq (docs.n, 4);
    cr_assert_str_eq (s_json (docs.docs[0]), "{\"a\":1}");
    cr_assert_str_eq (s_json (docs.docs[2]), "[3]");
    cr_assert_str_eq (s_json (docs.docs[3]), "4");
}

Test (docload, yaml_empty_documents_are_skipped)
{
    cr_assert_eq (s_load ("t.yaml", "---\n", SW_FMT_YAML), 0, "%s", err);
    cr_assert_eq (docs.n, 0);
    cr_assert_eq (s_load ("t.yaml", "---\n---\n# nothing\n---\na: 1\n---\n", SW_FMT_YAML), 0, "%s",
                  err);
    cr_assert_eq (docs.n, 1);
    //  An explicit null is a document
    cr_assert_eq (s_load ("t.yaml", "--- ~\n--- null\n--- ''\n", SW_FMT_YAML), 0, "%s", err);
    cr_assert_eq (docs.n, 4);
}

Test (docload, yaml_documents_before_an_error_are_kept)
{
    s_refused ("t.yaml", "a: 1\n---\nb: [2\n", SW_FMT_YAML,
               "t.yaml:4:1: did not find expected ',' or ']' (while parsing a flow sequence)");
    cr_assert_eq (docs.n, 1);
    cr_assert_str_eq (s_json (docs.docs[0]), "{\"a\":1}");
}

Test (docload, yaml_plain_scalars_resolve_by_the_core_schema)
{
    static const struct {
        const char *text, *json;
    } cases[] = {
        {"", "null"},
        {"~", "null"},
        {"null", "null"},
        {"Null", "null"},
        {"NULL", "null"},
        {"nULL", "\"nULL\""},
        {"true", "true"},
        {"True", "true"},
        {"TRUE", "true"},
        {"false", "false"},
        {"FALSE", "false"},
        {"yes", "\"yes\""},
        {"on", "\"on\""},
        {"0", "0"},
        {"-17", "-17"},
        {"+17", "17"},
        {"007", "7"},
        {"0x1F", "31"},
        {"0o17", "15"},
        {"0o18", "\"0o18\""},
        {"0x", "\"0x\""},
        {"-0x1", "\"-0x1\""},
        {"1_000", "\"1_000\""},
        {"9223372036854775807", "9223372036854775807"},
        {"-9223372036854775808", "-9223372036854775808"},
        {"9223372036854775808", "9.2233720368547758e+18"},
        {"1.5", "1.5"},
        {"-.5", "-0.5"},
        {"1.", "1"},
        {"1e3", "1000"},
        {"2.5E-1", "0.25"},
        {".", "\".\""},
        {"1e", "\"1e\""},
        {"1.2.3", "\"1.2.3\""},
        {"12:30", "\"12:30\""},
        {"2024-01-01", "\"2024-01-01\""},
        {"hello world", "\"hello world\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        snprintf (text, sizeof text, "- %s\n", cases[i].text);
        char expected[64];
        snprintf (expected, sizeof expected, "[%s]", cases[i].json);
        s_yaml_is (text, expected);
    }
}

Test (docload, yaml_resolved_scalars_have_c_types)
{
    sw_val_t *doc = s_yaml ("[42, 4.5, .inf, -.Inf, .NaN, 9223372036854775808]\n");
    cr_assert_eq (doc->arr.items[0]->type, SW_VINT);
    cr_assert_eq (doc->arr.items[1]->type, SW_VREAL);
    cr_assert_eq (doc->arr.items[2]->r, INFINITY);
    cr_assert_eq (doc->arr.items[3]->r, -INFINITY);
    cr_assert (isnan (doc->arr.items[4]->r));
    cr_assert_eq (doc->arr.items[5]->type, SW_VREAL, "an overflowing integer becomes a real");
}

Test (docload, yaml_quoted_scalars_are_always_strings)
{
    s_yaml_is ("['', \"~\", 'null', \"true\", '42', \"0x1F\", '1.5', \".inf\"]\n",
               "[\"\",\"~\",\"null\",\"true\",\"42\",\"0x1F\",\"1.5\",\".inf\"]");
    s_yaml_is ("a: |\n  42\nb: >\n  true\n", "{\"a\":\"42\\u000a\",\"b\":\"true\\u000a\"}");
}

Test (docload, yaml_core_tags_are_honoured)
{
    s_yaml_is ("[!!str 42, !!str true, !!int \"42\", !!int '0x10', !!float 1, !!float '2.5',"
               " !!bool 'true', !!null '', ! 12]\n",
               "[\"42\",\"true\",42,16,1,2.5,true,null,\"12\"]");
    cr_assert_eq (s_yaml ("!!float 1\n")->type, SW_VREAL);
    s_yaml_is ("!!map {a: 1}\n", "{\"a\":1}");
    s_yaml_is ("!!seq [1]\n", "[1]");
}

Test (docload, yaml_value_that_does_not_fit_its_tag_is_refused)
{
    s_refused ("t.yaml", "a: !!int 1.5\n", SW_FMT_YAML,
               "t.yaml:1:4: value tagged !!int is not one");
    s_refused ("t.yaml", "a: !!bool yes\n", SW_FMT_YAML,
               "t.yaml:1:4: value tagged !!bool is not one");
    s_refused ("t.yaml", "a: !!map 1\n", SW_FMT_YAML,
               "t.yaml:1:4: tag !!map does not apply to a scalar");
    s_refused ("t.yaml", "a: !!str [1]\n", SW_FMT_YAML,
               "t.yaml:1:4: tag !!str does not apply to a list");
}

Test (docload, yaml_unknown_tag_is_ignored)
{
    s_yaml_is ("[!Foo 42, !Foo '42', !Bar [1], !Baz {a: true}, !!binary aGk=]\n",
               "[42,\"42\",[1],{\"a\":true},\"aGk=\"]");
}

Test (docload, yaml_values_have_1_based_positions)
{
    sw_val_t *doc = s_yaml ("# header\n"
                            "top:\n"
                            "  list:\n"
                            "    - x\n"
                            "    - {k: 7}\n");
    cr_assert_eq (doc->line, 2);
    cr_assert_eq (doc->col, 1);
    sw_val_t *list = sw_val_dig (doc, "top.list");
    cr_assert_eq (list->line, 4);
    cr_assert_eq (list->col, 5);
    cr_assert_eq (list->arr.items[0]->line, 4);
    cr_assert_eq (list->arr.items[0]->col, 7);
    sw_val_t *k = sw_val_get (list->arr.items[1], "k");
    cr_assert_eq (k->line, 5);
    cr_assert_eq (k->col, 11);
}

Test (docload, yaml_keys_are_the_text_of_scalars)
{
    s_yaml_is ("1: a\nnull: b\n0x10: c\n'q': d\n!!int 5: e\n~: f\n",
               "{\"1\":\"a\",\"null\":\"b\",\"0x10\":\"c\",\"q\":\"d\",\"5\":\"e\",\"~\":\"f\"}");
}

Test (docload, yaml_key_that_is_a_container_is_refused)
{
    s_refused ("t.yaml", "a: 1\n[x]: 2\n", SW_FMT_YAML,
               "t.yaml:2:1: a map key must be a scalar, not a list");
    s_refused ("t.yaml", "? {a: 1}\n: 2\n", SW_FMT_YAML,
               "t.yaml:1:3: a map key must be a scalar, not a map");
    s_refused ("t.yaml", "x: &m {a: 1}\n*m : 2\n", SW_FMT_YAML,
               "t.yaml:2:1: a map key must be a scalar, not a map");
}

Test (docload, yaml_key_with_nul_is_refused)
{
    s_refused ("t.yaml", "\"a\\0b\": 1\n", SW_FMT_YAML,
               "t.yaml:1:1: a map key holds a NUL character");
}

Test (docload, yaml_string_keeps_escaped_nul_with_its_length)
{
    sw_val_t *doc = s_yaml ("- \"a\\0b\"\n");
    cr_assert_eq (doc->arr.items[0]->str.len, 3);
}

Test (docload, yaml_duplicate_key_keeps_the_last_value_in_place)
{
    s_yaml_is ("a: 1\nb: 2\na: 3\n", "{\"a\":3,\"b\":2}");
}

Test (docload, yaml_duplicate_keys_in_a_big_map_are_found)
{
    char *text = malloc (64 * 1024);
    char *p = text;
    for (int i = 0; i < 2000; i++)
        p += sprintf (p, "k%d: %d\n", i, i);
    for (int i = 0; i < 2000; i += 7)
        p += sprintf (p, "k%d: last\n", i);
    sw_val_t *doc = s_yaml (text);
    free (text);
    cr_assert_eq (doc->map.n, 2000);
    cr_assert_str_eq (doc->map.kv[0].key, "k0");
    cr_assert_str_eq (sw_val_cstr (sw_val_get (doc, "k1995")), "last");
    cr_assert_eq (sw_val_get (doc, "k1999")->i, 1999);
}

//  ------------------------------------------------------------------------
//  YAML anchors, aliases and merges

Test (docload, yaml_alias_shares_the_anchored_value)
{
    sw_val_t *doc = s_yaml ("base: &b {x: [1, 2]}\n"
                            "copy: *b\n"
                            "name: &n hello\n"
                            "again: *n\n");
    cr_assert_eq (sw_val_get (doc, "copy"), sw_val_get (doc, "base"), "shared, not copied");
    cr_assert_eq (sw_val_get (doc, "again"), sw_val_get (doc, "name"));
    cr_assert_str_eq (s_json (doc), "{\"base\":{\"x\":[1,2]},\"copy\":{\"x\":[1,2]},"
                                    "\"name\":\"hello\",\"again\":\"hello\"}");
}

Test (docload, yaml_alias_names_the_latest_anchor)
{
    s_yaml_is ("- &a 1\n- *a\n- &a 2\n- *a\n", "[1,1,2,2]");
}

Test (docload, yaml_anchored_key_can_be_aliased)
{
    s_yaml_is ("&k name: 1\nother: *k\n*k : 2\n", "{\"name\":2,\"other\":\"name\"}");
}

Test (docload, yaml_unknown_alias_is_refused_with_position)
{
    s_refused ("t.yaml", "a: 1\nb: [1, *nowhere]\n", SW_FMT_YAML,
               "t.yaml:2:8: alias *nowhere has no anchor before it");
}

Test (docload, yaml_alias_into_its_own_node_is_refused)
{
    s_refused ("t.yaml", "&a [1, *a]\n", SW_FMT_YAML,
               "t.yaml:1:8: alias *a has no anchor before it");
}

Test (docload, yaml_anchors_do_not_reach_across_documents)
{
    s_refused ("t.yaml", "&a 1\n---\n*a\n", SW_FMT_YAML,
               "t.yaml:3:1: alias *a has no anchor before it");
}

Test (docload, yaml_too_many_anchors_are_refused)
{
    char *text = malloc (10001 * 16 + 16);
    char *p = text;
    for (int i = 0; i <= 10000; i++)
        p += sprintf (p, "- &a%d %d\n", i, i);
    s_refused ("t.yaml", text, SW_FMT_YAML,
               "t.yaml:10001:3: more than 10000 anchors in one document");
    free (text);
}

Test (docload, yaml_merge_key_copies_entries_from_a_map)
{
    sw_val_t *doc = s_yaml ("base: &b {x: 1, y: [2]}\n"
                            "top:\n"
                            "  <<: *b\n"
                            "  z: 3\n");
    sw_val_t *top = sw_val_get (doc, "top");
    cr_assert_str_eq (s_json (top), "{\"z\":3,\"x\":1,\"y\":[2]}");
    cr_assert_eq (sw_val_get (top, "y"), sw_val_dig (doc, "base.y"), "values are shared");
    cr_assert_null (sw_val_get (top, "<<"));
}

Test (docload, yaml_merge_key_keeps_explicit_keys_wherever_they_stand)
{
    s_yaml_is ("- &b {x: 1, y: 1}\n"
               "- {x: 2, <<: *b}\n"
               "- {<<: *b, y: 3}\n",
               "[{\"x\":1,\"y\":1},{\"x\":2,\"y\":1},{\"y\":3,\"x\":1}]");
}

Test (docload, yaml_merge_list_prefers_earlier_maps)
{
    s_yaml_is ("- &a {x: a, y: a}\n"
               "- &b {y: b, z: b}\n"
               "- {<<: [*a, *b], w: 1}\n",
               "[{\"x\":\"a\",\"y\":\"a\"},{\"y\":\"b\",\"z\":\"b\"},"
               "{\"w\":1,\"x\":\"a\",\"y\":\"a\",\"z\":\"b\"}]");
}

Test (docload, yaml_merge_of_inline_map_works)
{
    s_yaml_is ("{<<: {a: 1}, b: 2}\n", "{\"b\":2,\"a\":1}");
}

Test (docload, yaml_quoted_merge_key_is_an_ordinary_key)
{
    s_yaml_is ("{'<<': 1}\n", "{\"<<\":1}");
}

Test (docload, yaml_merge_of_a_non_map_is_refused)
{
    s_refused ("t.yaml", "a: &s text\nb:\n  <<: *s\n", SW_FMT_YAML,
               "t.yaml:3:7: a merge (<<) takes a map or a list of maps, found string");
    s_refused ("t.yaml", "a: &m {x: 1}\nb: {<<: [*m, [1]]}\n", SW_FMT_YAML,
               "t.yaml:2:9: a merge (<<) takes a map or a list of maps, found array");
}

Test (docload, yaml_merges_into_a_big_map_keep_explicit_keys)
{
    char *text = malloc (64 * 1024);
    char *p = text + sprintf (text, "base: &b {k5: base, extra: base}\nbig:\n  <<: *b\n");
    for (int i = 0; i < 100; i++)
        p += sprintf (p, "  k%d: %d\n", i, i);
    sw_val_t *doc = s_yaml (text);
    free (text);
    sw_val_t *big = sw_val_get (doc, "big");
    cr_assert_eq (big->map.n, 101);
    cr_assert_eq (sw_val_get (big, "k5")->i, 5);
    cr_assert_str_eq (sw_val_cstr (sw_val_get (big, "extra")), "base");
}

Test (docload, yaml_billion_laughs_is_refused_quickly)
{
    const char *text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    s_refused ("bomb.yaml", text, SW_FMT_YAML,
               "bomb.yaml:7:32: more than 8388608 values (aliases counted in full)");
    clock_gettime (CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert_lt (ms, 100, "took %.1f ms", ms);
}

Test (docload, yaml_aliases_within_the_budget_are_accepted)
{
    sw_val_t *doc = s_yaml ("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
                            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                            "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n");
    cr_assert_eq (sw_val_count (sw_val_get (doc, "c")), 10);
}

Test (docload, yaml_alias_that_would_nest_too_deep_is_refused)
{
    //  32 levels anchored, then used 32 levels down: 64 fits, 65 does not
    char *deep = s_repeat ("a: &d ", "[", 31, "1");
    char *anchored = s_repeat (deep, "]", 31, "\nb: ");
    char *text = s_repeat (anchored, "[", 33, "*d");
    char *ok = s_repeat (anchored, "[", 32, "*d");
    char *ok_closed = s_repeat (ok, "]", 32, "\n");
    s_yaml (ok_closed);
    char *bad = s_repeat (text, "]", 33, "\n");
    s_refused ("t.yaml", bad, SW_FMT_YAML, "t.yaml:2:37: nesting deeper than 64");
    free (deep);
    free (anchored);
    free (text);
    free (ok);
    free (ok_closed);
    free (bad);
}

Test (docload, yaml_merge_depth_counts_where_entries_land)
{
    //  &a is 63 levels tall and sits at level 2; merged into a map at level
    //  2 its entries reach level 64, merged one level deeper, 65
    char *open = s_repeat ("a: &a ", "{x: ", 63, "1");
    char *base = s_repeat (open, "}", 63, "\n");
    char *text = malloc (strlen (base) + 64);
    sprintf (text, "%sb: {<<: *a}\nc: {<<: [*a]}\n", base);
    sw_val_t *doc = s_yaml (text);
    cr_assert_eq (sw_val_get (sw_val_get (doc, "b"), "x"), sw_val_get (sw_val_get (doc, "a"), "x"));
    sprintf (text, "%sb: [{<<: *a}]\n", base);
    s_refused ("t.yaml", text, SW_FMT_YAML, "t.yaml:2:10: nesting deeper than 64");
    sprintf (text, "%sb: [{<<: [*a]}]\n", base);
    s_refused ("t.yaml", text, SW_FMT_YAML, "t.yaml:2:11: nesting deeper than 64");
    free (open);
    free (base);
    free (text);
}

//  ------------------------------------------------------------------------
//  YAML bounds and errors

Test (docload, yaml_nesting_of_64_is_accepted)
{
    char *open = s_repeat ("", "- ", 64, "x\n");
    sw_val_t *doc = s_yaml (open);
    cr_assert_eq (doc->type, SW_VARR);
    free (open);
}

Test (docload, yaml_nesting_deeper_than_64_is_refused_with_position)
{
    //  The map is level 1, so the 64th bracket is one too many
    char *open = s_repeat ("top:\n  ", "[", 64, "");
    char *text = s_repeat (open, "]", 64, "\n");
    s_refused ("t.yaml", text, SW_FMT_YAML, "t.yaml:2:66: nesting deeper than 64");
    free (open);
    free (text);
}

Test (docload, yaml_syntax_error_names_file_line_and_column)
{
    s_refused ("k8s/app.yaml", "a: 1\n  b: 2\n", SW_FMT_YAML,
               "k8s/app.yaml:2:4: mapping values are not allowed in this context");
    s_refused ("t.yaml", "a: [1,\n", SW_FMT_YAML,
               "t.yaml:2:1: did not find expected node content (while parsing a flow node)");
}

Test (docload, yaml_nul_byte_in_input_is_refused)
{
    const char text[] = "a: b\0c\n";
    int rc =
        sw_doc_load (arena, "t.yaml", text, sizeof text - 1, SW_FMT_YAML, &docs, err, sizeof err);
    cr_assert_eq (rc, -1);
    cr_assert_str_eq (err, "t.yaml:1:5: control characters are not allowed");
}

Test (docload, yaml_invalid_utf8_is_refused)
{
    s_refused ("t.yaml", "a: b\nc: \xff\n", SW_FMT_YAML, "t.yaml:2:4: invalid leading UTF-8 octet");
}

Test (docload, yaml_too_many_documents_are_refused)
{
    char *text = s_repeat ("", "--- 1\n", SW_DOC_MAX_DOCS + 1, "");
    s_refused ("t.yaml", text, SW_FMT_YAML, "t.yaml:100001:1: more than 100000 documents");
    cr_assert_eq (docs.n, SW_DOC_MAX_DOCS);
    free (text);
}

//  ------------------------------------------------------------------------
//  CloudFormation short forms

Test (docload, cfn_ref_becomes_its_long_form)
{
    s_yaml_is ("Bucket: !Ref MyBucket\n", "{\"Bucket\":{\"Ref\":\"MyBucket\"}}");
    s_yaml_is ("- !Ref 42\n- !Ref 'q'\n- !Condition IsProd\n",
               "[{\"Ref\":\"42\"},{\"Ref\":\"q\"},{\"Condition\":\"IsProd\"}]");
}

Test (docload, cfn_getatt_scalar_splits_at_the_first_dot)
{
    s_yaml_is ("- !GetAtt Res.Arn\n- !GetAtt Stack.Outputs.Name\n- !GetAtt NoDot\n",
               "[{\"Fn::GetAtt\":[\"Res\",\"Arn\"]},"
               "{\"Fn::GetAtt\":[\"Stack\",\"Outputs.Name\"]},"
               "{\"Fn::GetAtt\":[\"NoDot\"]}]");
}

Test (docload, cfn_getatt_sequence_stays_a_sequence)
{
    s_yaml_is ("!GetAtt [Res, Arn]\n", "{\"Fn::GetAtt\":[\"Res\",\"Arn\"]}");
}

Test (docload, cfn_sub_scalar_is_a_string)
{
    s_yaml_is ("!Sub 'arn:aws:s3:::${Bucket}/*'\n", "{\"Fn::Sub\":\"arn:aws:s3:::${Bucket}/*\"}");
    s_yaml_is ("!Sub [\"${A}\", {A: !Ref B}]\n",
               "{\"Fn::Sub\":[\"${A}\",{\"A\":{\"Ref\":\"B\"}}]}");
}

Test (docload, cfn_join_sequence_is_wrapped)
{
    s_yaml_is ("!Join ['', [a, !Ref B]]\n", "{\"Fn::Join\":[\"\",[\"a\",{\"Ref\":\"B\"}]]}");
}

Test (docload, cfn_if_nests_other_forms)
{
    s_yaml_is (
        "!If [IsProd, !GetAtt A.B, !Ref AWS::NoValue]\n",
        "{\"Fn::If\":[\"IsProd\",{\"Fn::GetAtt\":[\"A\",\"B\"]},{\"Ref\":\"AWS::NoValue\"}]}");
}

Test (docload, cfn_every_fn_short_form_is_known)
{
    static const char *const names[] = {"Sub",
                                        "Join",
                                        "Select",
                                        "Split",
                                        "FindInMap",
                                        "Base64",
                                        "Cidr",
                                        "ImportValue",
                                        "GetAZs",
                                        "If",
                                        "Equals",
                                        "Not",
                                        "And",
                                        "Or",
                                        "Transform",
                                        "ToJsonString",
                                        "Length",
                                        "Contains",
                                        "EachMemberEquals",
                                        "EachMemberIn",
                                        "RefAll",
                                        "ValueOf",
                                        "ValueOfAll"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char text[64], expected[64];
        snprintf (text, sizeof text, "!%s [x]\n", names[i]);
        snprintf (expected, sizeof expected, "{\"Fn::%s\":[\"x\"]}", names[i]);
        s_yaml_is (text, expected);
    }
}

Test (docload, cfn_tagged_plain_scalar_stays_text)
{
    s_yaml_is ("[!GetAZs '', !GetAZs, !Base64 true, !ImportValue 1.5]\n",
               "[{\"Fn::GetAZs\":\"\"},{\"Fn::GetAZs\":\"\"},{\"Fn::Base64\":\"true\"},"
               "{\"Fn::ImportValue\":\"1.5\"}]");
}

Test (docload, cfn_long_form_takes_the_position_of_the_node)
{
    sw_val_t *doc = s_yaml ("Resources:\n"
                            "  Q:\n"
                            "    Name: !Sub '${AWS::StackName}-q'\n"
                            "    Tags: !Join\n"
                            "      - ','\n"
                            "      - [a, b]\n");
    sw_val_t *name = sw_val_dig (doc, "Resources.Q.Name");
    cr_assert_eq (name->type, SW_VMAP);
    cr_assert_eq (name->line, 3);
    cr_assert_eq (name->col, 11);
    sw_val_t *tags = sw_val_dig (doc, "Resources.Q.Tags");
    cr_assert_eq (tags->line, 4, "a node starts at its tag");
    cr_assert_eq (tags->col, 11);
}

Test (docload, cfn_wrapper_counts_as_a_nesting_level)
{
    //  Each !Ref [ is two levels: the {"Ref": ...} map and the list
    char *open = s_repeat ("", "!Ref [", 32, "");
    char *text = s_repeat (open, "]", 32, "\n");
    s_yaml (text);
    free (open);
    free (text);
    open = s_repeat ("", "!Ref [", 33, "");
    text = s_repeat (open, "]", 33, "\n");
    s_refused ("t.yaml", text, SW_FMT_YAML, "t.yaml:1:193: nesting deeper than 64");
    free (open);
    free (text);
}

//  ------------------------------------------------------------------------
//  Files

Test (docload, load_file_reads_and_names_by_path)
{
    char dir[64], path[128];
    cr_assert_not_null (sw_test_mkdtemp (dir, sizeof dir, "docload"));
    snprintf (path, sizeof path, "%s/t.json", dir);
    FILE *f = fopen (path, "w");
    cr_assert_not_null (f);
    fputs ("{\"a\": [1, 2]}", f);
    fclose (f);
    int rc = sw_doc_load_file (arena, path, SW_FMT_AUTO, &docs, err, sizeof err);
    cr_assert_eq (rc, 0, "%s", err);
    cr_assert_eq (docs.n, 1);
    cr_assert_eq (sw_val_count (sw_val_get (docs.docs[0], "a")), 2);

    f = fopen (path, "w");
    fputs ("{\"a\": }", f);
    fclose (f);
    char expected[256];
    snprintf (expected, sizeof expected, "%s:1:7: unexpected token near '}'", path);
    cr_assert_eq (sw_doc_load_file (arena, path, SW_FMT_AUTO, &docs, err, sizeof err), -1);
    cr_assert_str_eq (err, expected);
    sw_test_rmtree (dir);
}

Test (docload, load_file_on_missing_file_names_the_path)
{
    int rc =
        sw_doc_load_file (arena, "/nonexistent/dir/x.yaml", SW_FMT_AUTO, &docs, err, sizeof err);
    cr_assert_eq (rc, -1);
    cr_assert_str_eq (err, "/nonexistent/dir/x.yaml: No such file or directory");
}

Test (docload, load_file_refuses_what_is_not_a_regular_file)
{
    char dir[64], path[128];
    cr_assert_not_null (sw_test_mkdtemp (dir, sizeof dir, "docload"));
    cr_assert_eq (sw_doc_load_file (arena, dir, SW_FMT_AUTO, &docs, err, sizeof err), -1);
    char expected[256];
    snprintf (expected, sizeof expected, "%s: not a regular file", dir);
    cr_assert_str_eq (err, expected);
    //  A FIFO would block a plain open for reading
    snprintf (path, sizeof path, "%s/fifo", dir);
    cr_assert_eq (mkfifo (path, 0600), 0);
    cr_assert_eq (sw_doc_load_file (arena, path, SW_FMT_AUTO, &docs, err, sizeof err), -1);
    snprintf (expected, sizeof expected, "%s: not a regular file", path);
    cr_assert_str_eq (err, expected);
    sw_test_rmtree (dir);
}

Test (docload, load_file_refuses_a_file_over_the_limit)
{
    char dir[64], path[128];
    cr_assert_not_null (sw_test_mkdtemp (dir, sizeof dir, "docload"));
    snprintf (path, sizeof path, "%s/big.yaml", dir);
    FILE *f = fopen (path, "w");
    cr_assert_not_null (f);
    fclose (f);
    cr_assert_eq (truncate (path, (off_t)SW_DOC_MAX_BYTES + 1), 0); //  sparse, no disk used
    cr_assert_eq (sw_doc_load_file (arena, path, SW_FMT_AUTO, &docs, err, sizeof err), -1);
    char expected[256];
    snprintf (expected, sizeof expected,
              "%s: file is 67108865 bytes, over the limit of 67108864 bytes", path);
    cr_assert_str_eq (err, expected);
    sw_test_rmtree (dir);
}
