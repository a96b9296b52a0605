/*  Tests for sw_pkginv: every inventory format into exact (ecosystem,
    name, version, line) lists, the naming choices OSV needs (source
    packages, purl namespaces, PEP 503 names), format detection, and
    malformed input refused with the file and line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_pkginv.h"

static sw_pkgset_t *set;
static char err[512];

static void s_setup (void)
{
    set = sw_pkgset_new ();
    cr_assert_not_null (set);
    err[0] = 0;
}

static void s_teardown (void)
{
    sw_pkgset_destroy (&set);
}

TestSuite (pkginv, .init = s_setup, .fini = s_teardown);

static long s_load (const char *name, const char *text)
{
    return sw_pkginv_load (set, name, text, strlen (text), err, sizeof err);
}

typedef struct {
    const char *ecosystem, *name, *version; //  version NULL: unpinned
    uint32_t line;
} s_exp_t;

static bool s_same (const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp (a, b) == 0);
}

//  The set holds exactly these packages, in this order, all from file.
static void s_expect (const char *file, const s_exp_t *exp, size_t n)
{
    for (size_t i = 0; i < set->n && i < n; i++) {
        const sw_pkg_t *p = &set->items[i];
        cr_expect (s_same (p->ecosystem, exp[i].ecosystem) && s_same (p->name, exp[i].name) &&
                       s_same (p->version, exp[i].version) && p->line == exp[i].line &&
                       strcmp (p->file, file) == 0,
                   "package %zu is (%s, %s, %s, %s:%u), expected (%s, %s, %s, %s:%u)", i,
                   p->ecosystem, p->name, p->version ? p->version : "(null)", p->file, p->line,
                   exp[i].ecosystem, exp[i].name, exp[i].version ? exp[i].version : "(null)", file,
                   exp[i].line);
    }
    cr_assert_eq (set->n, n, "%zu packages, expected %zu", set->n, n);
}

#define EXPECT(file, ...)                                                                          \
    do {                                                                                           \
        const s_exp_t exp_[] = {__VA_ARGS__};                                                      \
        s_expect (file, exp_, sizeof exp_ / sizeof exp_[0]);                                       \
    } while (0)

//  Loads text that must load, returning the count.
static long s_ok (const char *name, const char *text)
{
    long n = s_load (name, text);
    cr_assert_geq (n, 0, "refused: %s", err);
    cr_assert_eq ((size_t)n, set->n, "returned %ld with %zu in the set", n, set->n);
    return n;
}

//  Loads text that must be refused with exactly this message.
static void s_refused (const char *name, const char *text, const char *message)
{
    long n = s_load (name, text);
    cr_assert_eq (n, -1, "accepted (%ld packages)", n);
    cr_assert_str_eq (err, message);
}

//  ------------------------------------------------------------------------
//  Sets and purl types

Test (pkginv, set_copies_strings_and_keeps_null_versions)
{
    char name[] = "left-pad";
    sw_pkgset_add (set, "npm", name, "1.3.0", "package-lock.json", 0);
    sw_pkgset_add (set, "npm", "unpinned", NULL, "package-lock.json", 7);
    name[0] = 'X';
    EXPECT ("package-lock.json", {"npm", "left-pad", "1.3.0", 0}, {"npm", "unpinned", NULL, 7});
}

Test (pkginv, set_grows_past_its_first_capacity)
{
    for (int i = 0; i < 1000; i++) {
        char name[16];
        snprintf (name, sizeof name, "p%d", i);
        sw_pkgset_add (set, "Go", name, "v1.0.0", "go.sum", (uint32_t)i + 1);
    }
    cr_assert_eq (set->n, 1000);
    cr_assert_geq (set->cap, 1000);
    cr_assert_str_eq (set->items[999].name, "p999");
    cr_assert_eq (set->items[999].line, 1000);
}

Test (pkginv, destroy_nulls_the_pointer)
{
    sw_pkgset_t *other = sw_pkgset_new ();
    sw_pkgset_destroy (&other);
    cr_assert_null (other);
    sw_pkgset_destroy (&other);
}

Test (pkginv, purl_types_map_to_osv_ecosystems)
{
    static const char *const table[][2] = {
        {"deb", "Debian"},   {"apk", "Alpine"},      {"npm", "npm"},     {"pypi", "PyPI"},
        {"golang", "Go"},    {"cargo", "crates.io"}, {"maven", "Maven"}, {"nuget", "NuGet"},
        {"gem", "RubyGems"}, {"PyPI", "PyPI"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const char *eco = sw_purl_ecosystem (table[i][0]);
        cr_expect (eco && strcmp (eco, table[i][1]) == 0, "%s -> %s", table[i][0], eco);
    }
    cr_assert_null (sw_purl_ecosystem ("generic"));
    cr_assert_null (sw_purl_ecosystem (NULL));
}

//  ------------------------------------------------------------------------
//  Format detection

Test (pkginv, formats_come_from_names_and_content)
{
    static const char *const table[][3] = {
        {"var/lib/dpkg/status", "", "dpkg"},
        {"/var/lib/dpkg/status", "garbage", "dpkg"},
        {"backup/status", "Package: bash\n", "dpkg"},
        {"backup/status", "Version: 1\n", NULL},
        {"var/lib/dpkg/status.d/base", "Package: base-files\n", "dpkg"},
        {"var/lib/dpkg/status.d/base.md5sums", "Package: x\n", NULL},
        {"var/lib/dpkg/status-old", "Package: bash\n", NULL},
        {"lib/apk/db/installed", "", "apk"},
        {"copy/installed", "C:Q1abc=\nP:musl\nV:1.2.4-r2\n", "apk"},
        {"copy/installed", "just text\n", NULL},
        {"bom.json", " {\"bomFormat\" : \"CycloneDX\", \"specVersion\": \"1.5\"}", "cyclonedx"},
        {"x", "{\"specVersion\":\"1.5\",\"bomFormat\":\"CycloneDX\"}", "cyclonedx"},
        {"sbom.json", "{\"spdxVersion\": \"SPDX-2.3\"}", "spdx"},
        {"other.json", "{\"name\": \"spdxVersion\"}", NULL},
        {"other.json", "[\"bomFormat\", \"CycloneDX\"]", NULL},
        {"app/package-lock.json", "", "npm-lock"},
        {"npm-shrinkwrap.json", "", "npm-lock"},
        {"requirements.txt", "", "requirements"},
        {"requirements-dev.txt", "", "requirements"},
        {"requirements.in", "", NULL},
        {"dev-requirements.txt", "", NULL},
        {"poetry.lock", "", "poetry-lock"},
        {"Pipfile.lock", "", "pipfile-lock"},
        {"Pipfile", "", NULL},
        {"svc/go.mod", "", "go-mod"},
        {"go.sum", "", "go-sum"},
        {"Cargo.lock", "", "cargo-lock"},
        {"Cargo.toml", "", NULL},
        {"package.json", "{}", NULL},
        {"README.md", "Package: x\n", NULL},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const char *got = sw_pkginv_format (table[i][0], table[i][1], strlen (table[i][1]));
        cr_expect ((!got && !table[i][2]) || (got && table[i][2] && strcmp (got, table[i][2]) == 0),
                   "%s: %s, expected %s", table[i][0], got ? got : "NULL",
                   table[i][2] ? table[i][2] : "NULL");
    }
    cr_assert_null (sw_pkginv_format (NULL, "", 0));
}

Test (pkginv, unknown_files_are_refused)
{
    s_refused ("README.md", "hello\n", "README.md: not a package inventory this reader knows");
}

//  ------------------------------------------------------------------------
//  dpkg

static const char *const dpkg_status = "Package: bash\n"                            //  1
                                       "Status: install ok installed\n"             //  2
                                       "Priority: required\n"                       //  3
                                       "Version: 5.2.15-2+b2\n"                     //  4
                                       "Description: GNU Bourne Again SHell\n"      //  5
                                       " Bash is an sh-compatible shell.\n"         //  6
                                       " .\n"                                       //  7
                                       "\n"                                         //  8
                                       "Package: oldpkg\n"                          //  9
                                       "Status: deinstall ok config-files\n"        // 10
                                       "Version: 1.0\n"                             // 11
                                       "\n"                                         // 12
                                       "Package: halfway\n"                         // 13
                                       "Status: install reinstreq half-installed\n" // 14
                                       "Version: 2.0\n"                             // 15
                                       "\n"                                         // 16
                                       "Package: held\n"                            // 17
                                       "Status: hold ok installed\n"                // 18
                                       "Version: 3.0\n"                             // 19
                                       "\n"                                         // 20
                                       "Package: gone\n"                            // 21
                                       "Status: purge ok not-installed\n"           // 22
                                       "\n"                                         // 23
                                       "Package: trig\n"                            // 24
                                       "Status: install ok triggers-pending\n"      // 25
                                       "Version: 4.0\n";                            // 26

Test (pkginv, dpkg_reads_installed_stanzas_only)
{
    cr_assert_eq (s_ok ("var/lib/dpkg/status", dpkg_status), 3);
    EXPECT ("var/lib/dpkg/status", {"Debian", "bash", "5.2.15-2+b2", 1},
            {"Debian", "held", "3.0", 17}, {"Debian", "trig", "4.0", 24});
}

Test (pkginv, dpkg_names_source_packages)
{
    const char *text = "Package: libssl3\n"               //  1
                       "Status: install ok installed\n"   //  2
                       "Source: openssl\n"                //  3
                       "Version: 3.0.11-1~deb12u2\n"      //  4
                       "\n"                               //  5
                       "Package: openssl\n"               //  6
                       "Status: install ok installed\n"   //  7
                       "Version: 3.0.11-1~deb12u2\n"      //  8
                       "\n"                               //  9
                       "\n"                               // 10
                       "Package: libc6\n"                 // 11
                       "Status: install ok installed\n"   // 12
                       "Source: glibc (2.36-9+deb12u4)\n" // 13
                       "Version: 2.36-9+deb12u4+b1\n"     // 14
                       "\n"                               // 15
                       "package: zlib1g\r\n"              // 16
                       "status: install ok installed\r\n" // 17
                       "version: 1:1.2.13.dfsg-1\r\n"     // 18
                       "source: zlib\r\n";                // 19
    //  libssl3 and openssl are the same source package, kept once
    cr_assert_eq (s_ok ("var/lib/dpkg/status", text), 3);
    EXPECT ("var/lib/dpkg/status", {"Debian", "openssl", "3.0.11-1~deb12u2", 1},
            {"Debian", "glibc", "2.36-9+deb12u4", 11}, {"Debian", "zlib", "1:1.2.13.dfsg-1", 16});
}

Test (pkginv, dpkg_status_d_files_have_no_status)
{
    const char *text = "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n";
    s_ok ("var/lib/dpkg/status.d/base", text);
    EXPECT ("var/lib/dpkg/status.d/base", {"Debian", "base-files", "12.4+deb12u5", 1});
}

Test (pkginv, dpkg_installed_stanza_without_version_is_an_error)
{
    s_refused ("var/lib/dpkg/status",
               "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
               "Package: b\nStatus: install ok installed\n",
               "var/lib/dpkg/status:5: package b without Version");
    EXPECT ("var/lib/dpkg/status", {"Debian", "a", "1", 1});
}

Test (pkginv, dpkg_line_without_a_field_is_an_error)
{
    s_refused ("var/lib/dpkg/status", "Package: a\nno colon here\n",
               "var/lib/dpkg/status:2: expected 'Field: value'");
}

//  ------------------------------------------------------------------------
//  apk

Test (pkginv, apk_names_origin_packages)
{
    const char *text = "C:Q1abc=\n"               //  1
                       "P:libcrypto3\n"           //  2
                       "V:3.1.4-r5\n"             //  3
                       "A:x86_64\n"               //  4
                       "o:openssl\n"              //  5
                       "F:usr/lib\n"              //  6
                       "R:libcrypto.so.3\n"       //  7
                       "\n"                       //  8
                       "C:Q1def=\n"               //  9
                       "P:musl\n"                 // 10
                       "V:1.2.4_git20230717-r4\n" // 11
                       "\n"                       // 12
                       "P:libssl3\n"              // 13
                       "V:3.1.4-r5\n"             // 14
                       "o:openssl\n";             // 15
    cr_assert_eq (s_ok ("lib/apk/db/installed", text), 2);
    EXPECT ("lib/apk/db/installed", {"Alpine", "openssl", "3.1.4-r5", 1},
            {"Alpine", "musl", "1.2.4_git20230717-r4", 9});
}

Test (pkginv, apk_block_without_version_is_an_error)
{
    s_refused ("lib/apk/db/installed", "P:musl\nV:1.2.4-r4\n\nP:busybox\nA:x86_64\n",
               "lib/apk/db/installed:4: package busybox without V: (its version)");
}

Test (pkginv, apk_line_that_is_no_field_is_an_error)
{
    s_refused ("lib/apk/db/installed", "P:musl\nhello\n",
               "lib/apk/db/installed:2: expected a 'K:value' line");
}

//  ------------------------------------------------------------------------
//  CycloneDX

Test (pkginv, cyclonedx_walks_nested_components_and_decodes_purls)
{
    const char *text = "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\",\n"
                       " \"metadata\": {\"component\": {\"purl\": \"pkg:npm/myapp@1.0.0\"}},\n"
                       " \"components\": [\n"
                       "  {\"type\": \"library\", \"purl\": \"pkg:npm/%40angular/core@16.2.0\",\n"
                       "   \"components\": [\n"
                       "     {\"purl\": \"pkg:npm/%40babel/runtime@7.22.0\",\n"
                       "      \"components\": [{\"purl\": \"pkg:npm/tslib@2.6.2\"}]}]},\n"
                       "  {\"type\": \"file\", \"name\": \"README\"},\n"
                       "  {\"purl\": \"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
                       "?type=jar\"},\n"
                       "  {\"purl\": \"pkg:golang/github.com/gin-gonic/gin@v1.9.1#binding\"},\n"
                       "  {\"purl\": \"pkg:pypi/Flask_Login@0.6.2\"},\n"
                       "  {\"purl\": \"pkg:cargo/serde\", \"version\": \"1.0.188\"},\n"
                       "  {\"purl\": \"pkg:npm/@types/node@20.1.0\"},\n"
                       "  {\"purl\": \"pkg:npm/name%20with%20space@1%2B2\"}\n"
                       " ]}";
    cr_assert_eq (s_ok ("bom.json", text), 9);
    EXPECT ("bom.json", {"npm", "@angular/core", "16.2.0", 0},
            {"npm", "@babel/runtime", "7.22.0", 0}, {"npm", "tslib", "2.6.2", 0},
            {"Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", 0},
            {"Go", "github.com/gin-gonic/gin", "v1.9.1", 0}, {"PyPI", "flask-login", "0.6.2", 0},
            {"crates.io", "serde", "1.0.188", 0}, {"npm", "@types/node", "20.1.0", 0},
            {"npm", "name with space", "1+2", 0});
}

Test (pkginv, cyclonedx_distribution_purls_name_source_packages)
{
    const char *text =
        "{\"bomFormat\": \"CycloneDX\", \"components\": [\n"
        " {\"purl\": \"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl\"},\n"
        " {\"purl\": "
        "\"pkg:deb/debian/libc6@2.36-9%2Bb1?upstream=glibc%402.36-9&distro=debian-12\"},\n"
        " {\"purl\": \"pkg:deb/ubuntu/bash@5.1-6ubuntu1\"},\n"
        " {\"purl\": \"pkg:apk/alpine/libcrypto3@3.1.4-r5?upstream=openssl\"},\n"
        " {\"purl\": \"pkg:deb/raspbian/bash@5.1\"},\n"
        " {\"purl\": \"pkg:rpm/redhat/openssl@3.0.7\"},\n"
        " {\"purl\": \"pkg:generic/acme/thing@1\"}\n"
        "]}";
    cr_assert_eq (s_ok ("bom.json", text), 7);
    EXPECT ("bom.json", {"Debian", "openssl", "3.0.11-1~deb12u2", 0},
            {"Debian", "glibc", "2.36-9", 0}, {"Ubuntu", "bash", "5.1-6ubuntu1", 0},
            {"Alpine", "openssl", "3.1.4-r5", 0}, {"deb/raspbian", "bash", "5.1", 0},
            {"rpm", "redhat/openssl", "3.0.7", 0}, {"generic", "acme/thing", "1", 0});
}

Test (pkginv, cyclonedx_bad_purl_is_an_error)
{
    s_refused ("bom.json",
               "{\"bomFormat\": \"CycloneDX\", \"components\": [{\"purl\": \"pkg:npm/a@1\"},"
               "{\"components\": [{\"purl\": \"npm/b@1\"}]}]}",
               "bom.json: components[1].components[0]: purl 'npm/b@1' does not parse: it does not "
               "start with pkg:");
    EXPECT ("bom.json", {"npm", "a", "1", 0});
}

Test (pkginv, cyclonedx_nesting_is_bounded)
{
    char text[4096] = "{\"bomFormat\": \"CycloneDX\", \"components\": ";
    for (int i = 0; i < 20; i++)
        strcat (text, "[{\"purl\": \"pkg:npm/a@1\", \"components\": ");
    strcat (text, "[]");
    for (int i = 0; i < 20; i++)
        strcat (text, "}]");
    strcat (text, "}");
    cr_assert_eq (s_load ("bom.json", text), -1);
    cr_assert (strstr (err, "components nested deeper than 16"), "%s", err);
}

Test (pkginv, cyclonedx_components_must_be_a_list)
{
    s_refused ("bom.json", "{\"bomFormat\": \"CycloneDX\", \"components\": {}}",
               "bom.json: components is not a list");
}

//  ------------------------------------------------------------------------
//  SPDX

Test (pkginv, spdx_reads_purl_references)
{
    const char *text =
        "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": [\n"
        " {\"name\": \"lodash\", \"versionInfo\": \"4.17.20\", \"externalRefs\": [\n"
        "   {\"referenceCategory\": \"SECURITY\", \"referenceType\": \"cpe23Type\",\n"
        "    \"referenceLocator\": \"cpe:2.3:a:lodash:lodash:4.17.20:*:*:*:*:*:*:*\"},\n"
        "   {\"referenceCategory\": \"PACKAGE-MANAGER\", \"referenceType\": \"purl\",\n"
        "    \"referenceLocator\": \"pkg:npm/lodash\"}]},\n"
        " {\"name\": \"no refs\", \"versionInfo\": \"1\"},\n"
        " {\"name\": \"requests\", \"externalRefs\": [{\"referenceCategory\": "
        "\"PACKAGE_MANAGER\",\n"
        "   \"referenceType\": \"purl\", \"referenceLocator\": \"pkg:pypi/requests@2.31.0\"}]}\n"
        "]}";
    cr_assert_eq (s_ok ("sbom.spdx.json", text), 2);
    EXPECT ("sbom.spdx.json", {"npm", "lodash", "4.17.20", 0}, {"PyPI", "requests", "2.31.0", 0});
}

Test (pkginv, spdx_purl_reference_without_locator_is_an_error)
{
    s_refused ("sbom.json",
               "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": [{\"externalRefs\": "
               "[{\"referenceType\": \"purl\"}]}]}",
               "sbom.json: packages[0].externalRefs[0] has no referenceLocator");
}

//  ------------------------------------------------------------------------
//  npm

Test (pkginv, npm_v3_reads_nested_and_scoped_packages_and_skips_links)
{
    const char *text =
        "{\"name\": \"app\", \"lockfileVersion\": 3, \"packages\": {\n"
        " \"\": {\"name\": \"app\", \"version\": \"1.0.0\"},\n"
        " \"node_modules/express\": {\"version\": \"4.18.2\"},\n"
        " \"node_modules/express/node_modules/debug\": {\"version\": \"2.6.9\"},\n"
        " \"node_modules/@babel/core\": {\"version\": \"7.23.0\", \"dev\": true},\n"
        " \"node_modules/@babel/core/node_modules/@babel/types\": "
        "{\"version\": \"7.23.1\"},\n"
        " \"node_modules/mylib\": {\"resolved\": \"packages/mylib\", \"link\": true},\n"
        " \"packages/mylib\": {\"name\": \"mylib\", \"version\": \"0.1.0\"},\n"
        " \"node_modules/str\": {\"name\": \"string-width\", \"version\": \"4.2.3\"}\n"
        "}}";
    cr_assert_eq (s_ok ("package-lock.json", text), 5);
    EXPECT ("package-lock.json", {"npm", "express", "4.18.2", 0}, {"npm", "debug", "2.6.9", 0},
            {"npm", "@babel/core", "7.23.0", 0}, {"npm", "@babel/types", "7.23.1", 0},
            {"npm", "string-width", "4.2.3", 0});
}

Test (pkginv, npm_v1_reads_the_dependency_tree)
{
    const char *text = "{\"lockfileVersion\": 1, \"dependencies\": {\n"
                       " \"express\": {\"version\": \"4.17.1\", \"dependencies\": {\n"
                       "   \"debug\": {\"version\": \"2.6.9\"}}},\n"
                       " \"@scope/x\": {\"version\": \"1.0.0\"},\n"
                       " \"local\": {\"version\": \"file:../local\"},\n"
                       " \"alias\": {\"version\": \"npm:@types/node@18.0.0\"}\n"
                       "}}";
    cr_assert_eq (s_ok ("package-lock.json", text), 4);
    EXPECT ("package-lock.json", {"npm", "express", "4.17.1", 0}, {"npm", "debug", "2.6.9", 0},
            {"npm", "@scope/x", "1.0.0", 0}, {"npm", "@types/node", "18.0.0", 0});
}

Test (pkginv, npm_packages_must_be_a_map)
{
    s_refused ("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": []}",
               "package-lock.json: packages is not a map");
}

Test (pkginv, npm_version_must_be_a_string)
{
    s_refused ("package-lock.json", "{\"packages\": {\"node_modules/a\": {\"version\": 1}}}",
               "package-lock.json: packages[\"node_modules/a\"].version is not a string");
}

Test (pkginv, broken_json_names_line_and_column)
{
    cr_assert_eq (s_load ("app/package-lock.json", "{\n  \"packages\": {\n    \"a\" 1\n}}"), -1);
    cr_assert (strncmp (err, "app/package-lock.json:3:", 24) == 0, "%s", err);
    cr_assert_eq (set->n, 0);
}

Test (pkginv, json_root_must_be_an_object)
{
    s_refused ("Pipfile.lock", "[1, 2]", "Pipfile.lock: not a JSON object but a array");
}

//  ------------------------------------------------------------------------
//  requirements.txt

Test (pkginv, requirements_pinned_and_unpinned)
{
    const char *text = "# pinned by pip-compile\n"                                        //  1
                       "Django==4.2.7\n"                                                  //  2
                       "requests[security,socks] == 2.31.0 ; python_version >= \"3.8\"\n" //  3
                       "urllib3>=1.26,<3\n"                                               //  4
                       "six\n"                                                            //  5
                       "zope.interface===6.1\n"                                           //  6
                       "cryptography==41.0.5 \\\n"                                        //  7
                       "    --hash=sha256:abc \\\n"                                       //  8
                       "    --hash=sha256:def\n"                                          //  9
                       "attrs==23.*\n"                                                    // 10
                       "  Pillow~=10.0   # images\n"                                      // 11
                       "-r other.txt\n"                                                   // 12
                       "--index-url https://pypi.example/simple\n"                        // 13
                       "-e git+https://github.com/x/y.git#egg=y\n"                        // 14
                       "git+https://github.com/x/z.git#egg=z\n"                           // 15
                       "./local/pkg\n"                                                    // 16
                       "pkg @ https://example.com/pkg-1.0.tar.gz\n"                       // 17
                       "\n"                                                               // 18
                       "typing_extensions==4.8.0;python_version<'3.11'\n"                 // 19
                       "old (==1.0)\n"                                                    // 20
                       "numpy==1.26.0 \\\n"                                               // 21
                       "\n"                                                               // 22
                       "tail==2.0 \\";                                                    // 23
    cr_assert_eq (s_ok ("requirements.txt", text), 13);
    EXPECT ("requirements.txt", {"PyPI", "django", "4.2.7", 2}, {"PyPI", "requests", "2.31.0", 3},
            {"PyPI", "urllib3", NULL, 4}, {"PyPI", "six", NULL, 5},
            {"PyPI", "zope-interface", "6.1", 6}, {"PyPI", "cryptography", "41.0.5", 7},
            {"PyPI", "attrs", NULL, 10}, {"PyPI", "pillow", NULL, 11}, {"PyPI", "pkg", NULL, 17},
            {"PyPI", "typing-extensions", "4.8.0", 19}, {"PyPI", "old", "1.0", 20},
            {"PyPI", "numpy", "1.26.0", 21}, {"PyPI", "tail", "2.0", 23});
}

Test (pkginv, requirements_comment_ends_a_continued_line)
{
    //  As pip reads it: the '\' inside a comment continues nothing
    s_ok ("requirements.txt", "a==1 # note \\\nb==2\n");
    EXPECT ("requirements.txt", {"PyPI", "a", "1", 1}, {"PyPI", "b", "2", 2});
}

Test (pkginv, requirements_garbage_line_is_an_error)
{
    s_refused ("requirements.txt", "flask==3.0.0\n!!! not a requirement\n",
               "requirements.txt:2: not a requirement: !!! not a requirement");
    EXPECT ("requirements.txt", {"PyPI", "flask", "3.0.0", 1});
}

Test (pkginv, requirements_unterminated_extras_is_an_error)
{
    s_refused ("requirements.txt", "requests[security==2.0\n",
               "requirements.txt:1: extras without a closing ']'");
}

//  ------------------------------------------------------------------------
//  poetry.lock and Cargo.lock

Test (pkginv, poetry_lock_with_arrays_and_sub_tables)
{
    const char *text = "# This file is automatically @generated by Poetry 1.6.1\n"             //  1
                       "\n"                                                                    //  2
                       "[[package]]\n"                                                         //  3
                       "name = \"Flask\"\n"                                                    //  4
                       "version = \"3.0.0\"\n"                                                 //  5
                       "description = \"A simple framework [with] \\\"brackets\\\"\"\n"        //  6
                       "optional = false\n"                                                    //  7
                       "python-versions = \">=3.8\"\n"                                         //  8
                       "files = [\n"                                                           //  9
                       "    {file = \"flask-3.0.0-py3-none-any.whl\", hash = \"sha256:]\"},\n" // 10
                       "    # a comment with a [ bracket\n"                                    // 11
                       "    {file = 'flask-3.0.0.tar.gz', hash = \"sha256:b\"},\n"             // 12
                       "]\n"                                                                   // 13
                       "\n"                                                                    // 14
                       "[package.dependencies]\n"                                              // 15
                       "blinker = \">=1.6.2\"\n"                                               // 16
                       "name = \"not-the-package\"\n"                                          // 17
                       "\n"                                                                    // 18
                       "[package.extras]\n"                                                    // 19
                       "dotenv = [\"python-dotenv\"]\n"                                        // 20
                       "\n"                                                                    // 21
                       "[[package]]\n"                                                         // 22
                       "name = \"zope.interface\"  # trailing comment\n"                       // 23
                       "version = '6.1'\n"                                                     // 24
                       "description = \"\"\"multi\n"                                           // 25
                       "line [ \"\"\"\n"                                                       // 26
                       "develop = true\n"                                                      // 27
                       "\n"                                                                    // 28
                       "[package.source]\n"                                                    // 29
                       "type = \"git\"\n"                                                      // 30
                       "\n"                                                                    // 31
                       "[metadata]\n"                                                          // 32
                       "lock-version = \"2.0\"\n"                                              // 33
                       "content-hash = \"abc\"\n"                                              // 34
                       "\n"                                                                    // 35
                       "[metadata.files]\n"                                                    // 36
                       "flask = [\n"                                                           // 37
                       "    {file = \"x.whl\", hash = \"sha256:c\"},\n"                        // 38
                       "]\n";                                                                  // 39
    cr_assert_eq (s_ok ("app/poetry.lock", text), 2);
    EXPECT ("app/poetry.lock", {"PyPI", "flask", "3.0.0", 3},
            {"PyPI", "zope-interface", "6.1", 22});
}

Test (pkginv, poetry_package_without_version_is_an_error)
{
    s_refused ("app/poetry.lock",
               "[[package]]\nname = \"a\"\nversion = \"1\"\n\n[[package]]\nname = \"b\"\n"
               "\n[package.dependencies]\nversion = \"2\"\n",
               "app/poetry.lock:5: [[package]] without a version");
    EXPECT ("app/poetry.lock", {"PyPI", "a", "1", 1});
}

Test (pkginv, cargo_lock_with_dependency_arrays)
{
    const char *text =
        "# This file is automatically @generated by Cargo.\n"                               //  1
        "# It is not intended for manual editing.\n"                                        //  2
        "version = 3\n"                                                                     //  3
        "\n"                                                                                //  4
        "[[package]]\n"                                                                     //  5
        "name = \"aho-corasick\"\n"                                                         //  6
        "version = \"1.1.2\"\n"                                                             //  7
        "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"              //  8
        "checksum = \"b2969dcb958b36655471fc61f7e416fa76033bdd4bfed0678d8fee1e2d07a1f0\"\n" //  9
        "dependencies = [\n"                                                                // 10
        " \"memchr\",\n"                                                                    // 11
        "]\n"                                                                               // 12
        "\n"                                                                                // 13
        "[[ package ]]\n"                                                                   // 14
        "name = \"caf\\u00e9\"\n"                                                           // 15
        "version = \"0.1.0\"\n"                                                             // 16
        "dependencies = [\"aho-corasick\", \"serde 1.0.188 (registry+x)\"]\n"               // 17
        "\n"                                                                                // 18
        "[metadata]\n"                                                                      // 19
        "\"checksum memchr 2.6.4 (registry+https://x)\" = \"f665ee\"\n";                    // 20
    cr_assert_eq (s_ok ("Cargo.lock", text), 2);
    EXPECT ("Cargo.lock", {"crates.io", "aho-corasick", "1.1.2", 5},
            {"crates.io", "caf\xc3\xa9", "0.1.0", 14});
}

Test (pkginv, cargo_lock_with_crlf_line_ends)
{
    s_ok ("Cargo.lock", "version = 3\r\n\r\n[[package]]\r\nname = \"libc\" # c\r\n"
                        "version = \"0.2.149\"\r\ndependencies = [\r\n \"x\",\r\n]\r\n");
    EXPECT ("Cargo.lock", {"crates.io", "libc", "0.2.149", 3});
}

Test (pkginv, toml_unterminated_array_is_an_error)
{
    s_refused ("Cargo.lock",
               "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\n \"b\",\n",
               "Cargo.lock:4: unterminated array");
}

Test (pkginv, toml_mismatched_brackets_are_an_error)
{
    s_refused ("Cargo.lock", "[[package]]\nname = \"a\"\nx = [{]\n",
               "Cargo.lock:3: ']' closes a '{'");
}

Test (pkginv, toml_name_must_be_a_string)
{
    s_refused ("Cargo.lock", "[[package]]\nname = 12\nversion = \"1\"\n",
               "Cargo.lock:2: name is not a string");
}

Test (pkginv, toml_text_after_a_value_is_an_error)
{
    s_refused ("poetry.lock", "[[package]]\nname = \"a\" \"b\"\n",
               "poetry.lock:2: unexpected text after a value");
}

Test (pkginv, toml_unterminated_string_is_an_error)
{
    s_refused ("poetry.lock", "[[package]]\nname = \"a\nversion = \"1\"\n",
               "poetry.lock:2: unterminated string");
}

//  ------------------------------------------------------------------------
//  Pipfile.lock

Test (pkginv, pipfile_lock_reads_default_and_develop)
{
    const char *text =
        "{\"_meta\": {\"hash\": {\"sha256\": \"x\"}, \"sources\": []},\n"
        " \"default\": {\n"
        "  \"Django\": {\"hashes\": [], \"version\": \"==4.2.7\"},\n"
        "  \"six\": {\"version\": \"==1.16.0\", \"markers\": \"python_version >= '2.7'\"},\n"
        "  \"mylib\": {\"git\": \"https://github.com/x/mylib.git\", \"ref\": \"abc\"}},\n"
        " \"develop\": {\n"
        "  \"six\": {\"version\": \"==1.16.0\"},\n"
        "  \"pytest\": {\"version\": \"===7.4.3\"}}}";
    cr_assert_eq (s_ok ("Pipfile.lock", text), 4);
    EXPECT ("Pipfile.lock", {"PyPI", "django", "4.2.7", 0}, {"PyPI", "six", "1.16.0", 0},
            {"PyPI", "mylib", NULL, 0}, {"PyPI", "pytest", "7.4.3", 0});
}

Test (pkginv, pipfile_lock_category_must_be_a_map)
{
    s_refused ("Pipfile.lock", "{\"default\": []}", "Pipfile.lock: default is not a map");
}

//  ------------------------------------------------------------------------
//  go.mod and go.sum

Test (pkginv, go_mod_require_block_single_and_replace)
{
    const char *text = "// the service\n"                                            //  1
                       "module github.com/acme/svc\n"                                //  2
                       "\n"                                                          //  3
                       "go 1.21\n"                                                   //  4
                       "toolchain go1.21.4\n"                                        //  5
                       "\n"                                                          //  6
                       "require github.com/gin-gonic/gin v1.9.1\n"                   //  7
                       "\n"                                                          //  8
                       "require (\n"                                                 //  9
                       "\tgolang.org/x/net v0.17.0 // indirect\n"                    // 10
                       "\tgithub.com/old/lib v1.0.0\n"                               // 11
                       "\t// a comment line\n"                                       // 12
                       "\t\"github.com/quoted/mod\" v0.3.0\n"                        // 13
                       "\tgithub.com/local/dep v0.0.0-00010101000000-000000000000\n" // 14
                       "\tgolang.org/x/text v0.13.0\n"                               // 15
                       ")\n"                                                         // 16
                       "\n"                                                          // 17
                       "replace github.com/old/lib => github.com/new/lib v1.2.0\n"   // 18
                       "\n"                                                          // 19
                       "replace (\n"                                                 // 20
                       "\tgolang.org/x/text v0.13.0 => golang.org/x/text v0.14.0\n"  // 21
                       "\tgolang.org/x/net v0.1.0 => golang.org/x/net v0.2.0\n"      // 22
                       "\tgithub.com/local/dep => ../dep\n"                          // 23
                       ")\n"                                                         // 24
                       "\n"                                                          // 25
                       "exclude golang.org/x/crypto v0.1.0\n"                        // 26
                       "retract [v1.0.0, v1.0.5] // broken\n";                       // 27
    cr_assert_eq (s_ok ("go.mod", text), 6);
    EXPECT ("go.mod", {"Go", "github.com/gin-gonic/gin", "v1.9.1", 7},
            {"Go", "golang.org/x/net", "v0.17.0", 10}, {"Go", "github.com/new/lib", "v1.2.0", 11},
            {"Go", "github.com/quoted/mod", "v0.3.0", 13}, {"Go", "github.com/local/dep", NULL, 14},
            {"Go", "golang.org/x/text", "v0.14.0", 15});
}

Test (pkginv, go_mod_unclosed_block_is_an_error)
{
    s_refused ("go.mod", "module x\n\nrequire (\n\ta v1.0.0\n",
               "go.mod:3: a block without its closing ')'");
}

Test (pkginv, go_mod_blocks_do_not_nest)
{
    s_refused ("go.mod", "module x\nrequire (\n\ta v1.0.0\nreplace (\n)\n)\n",
               "go.mod:4: unexpected '('");
}

Test (pkginv, go_mod_require_needs_a_version)
{
    s_refused ("go.mod", "module x\nrequire (\n\tgithub.com/a/b\n)\n",
               "go.mod:3: require takes a module path and a version");
}

Test (pkginv, go_mod_replacement_without_version_must_be_a_directory)
{
    s_refused ("go.mod", "module x\nreplace a => b\n",
               "go.mod:2: a replacement module without a version must be a directory");
}

Test (pkginv, go_sum_skips_go_mod_lines_and_dedupes)
{
    const char *text = "github.com/a/b v1.0.0 h1:abc=\n"        //  1
                       "github.com/a/b v1.0.0/go.mod h1:def=\n" //  2
                       "github.com/c/d v0.1.0/go.mod h1:ghi=\n" //  3
                       "\n"                                     //  4
                       "github.com/a/b v1.0.0 h2:other=\n"      //  5
                       "github.com/a/b v1.1.0 h1:jkl//m=\n";    //  6
    cr_assert_eq (s_ok ("go.sum", text), 2);
    EXPECT ("go.sum", {"Go", "github.com/a/b", "v1.0.0", 1}, {"Go", "github.com/a/b", "v1.1.0", 6});
}

Test (pkginv, go_sum_line_must_have_three_fields)
{
    s_refused ("go.sum", "github.com/a/b v1.0.0\n", "go.sum:1: expected 'module version hash'");
}

//  ------------------------------------------------------------------------
//  Untrusted input

Test (pkginv, nul_bytes_in_text_formats_are_refused)
{
    const char text[] = "flask==3.0.0\nx\0y==1\n";
    long n = sw_pkginv_load (set, "requirements.txt", text, sizeof text - 1, err, sizeof err);
    cr_assert_eq (n, -1);
    cr_assert_str_eq (err, "requirements.txt:2: binary data (a NUL byte), not a text file");
    cr_assert_eq (set->n, 0);
}

Test (pkginv, overlong_lines_are_refused)
{
    size_t len = 70 * 1024;
    char *text = malloc (len + 16);
    cr_assert_not_null (text);
    strcpy (text, "a==1\n");
    memset (text + 5, 'b', len);
    strcpy (text + 5 + len, "==1\n");
    long n = s_load ("requirements.txt", text);
    free (text);
    cr_assert_eq (n, -1);
    cr_assert_str_eq (err, "requirements.txt:2: line longer than 65536 bytes");
}

Test (pkginv, error_messages_hide_control_characters)
{
    s_refused ("requirements.txt", "\x1b[31mred\n",
               "requirements.txt:1: not a requirement: ?[31mred");
}

Test (pkginv, packages_per_file_are_bounded)
{
    size_t count = 1000001;
    char *text = malloc (count * 5 + 1);
    cr_assert_not_null (text);
    for (size_t i = 0; i < count; i++)
        memcpy (text + i * 5, "a==1\n", 5);
    text[count * 5] = 0;
    long n = sw_pkginv_load (set, "requirements.txt", text, count * 5, err, sizeof err);
    free (text);
    cr_assert_eq (n, -1);
    cr_assert_str_eq (err, "requirements.txt:1000001: more than 1000000 packages");
    cr_assert_eq (set->n, 1000000);
}

Test (pkginv, binary_garbage_never_crashes)
{
    static const char *const names[] = {
        "var/lib/dpkg/status",
        "lib/apk/db/installed",
        "package-lock.json",
        "requirements.txt",
        "poetry.lock",
        "Pipfile.lock",
        "go.mod",
        "go.sum",
        "Cargo.lock",
    };
    uint32_t state = 12345;
    char data[2048];
    for (int round = 0; round < 200; round++) {
        size_t len = 1 + (size_t)round * 10;
        for (size_t i = 0; i < len; i++) {
            state = state * 1103515245u + 12345u;
            data[i] = (char)(state >> 16);
        }
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            size_t before = set->n;
            long n = sw_pkginv_load (set, names[k], data, len, err, sizeof err);
            if (n < 0)
                cr_assert (strncmp (err, names[k], strlen (names[k])) == 0, "%s", err);
            else
                cr_assert_eq (set->n - before, (size_t)n);
        }
    }
}

Test (pkginv, empty_files_hold_no_packages)
{
    cr_assert_eq (s_load ("requirements.txt", ""), 0);
    cr_assert_eq (s_load ("go.mod", ""), 0);
    cr_assert_eq (s_load ("Cargo.lock", ""), 0);
    cr_assert_eq (s_load ("var/lib/dpkg/status", ""), 0);
    s_refused ("package-lock.json", "  \n", "package-lock.json: empty file");
}
