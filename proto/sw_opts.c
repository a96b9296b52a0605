/*  sw_opts - flags and config files. See sw_opts.h. */
#include "sw_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sw_opt_t *s_find (sw_opt_t *opts, const char *name, size_t len)
{
    for (sw_opt_t *o = opts; o->name; o++)
        if (strlen (o->name) == len && strncmp (o->name, name, len) == 0)
            return o;
    return NULL;
}

//  Strings this module allocated: a value that a later source replaces (a
//  flag over the config file) is freed, never a default literal.
static char *s_owned[64];

static void s_replace (char **slot, const char *value)
{
    for (size_t i = 0; *slot && i < sizeof s_owned / sizeof s_owned[0]; i++)
        if (s_owned[i] == *slot) {
            free (s_owned[i]);
            s_owned[i] = NULL;
        }
    *slot = strdup (value);
    for (size_t i = 0; i < sizeof s_owned / sizeof s_owned[0]; i++)
        if (!s_owned[i]) {
            s_owned[i] = *slot;
            break;
        }
}

static int s_set (sw_opt_t *o, const char *value, const char *where)
{
    if (o->type == SW_OPT_STR) {
        s_replace ((char **)o->value, value);
        return 0;
    }
    if (o->type == SW_OPT_FLAG) {
        if (strcmp (value, "true") && strcmp (value, "false") && strcmp (value, "1") &&
            strcmp (value, "0")) {
            fprintf (stderr, "%s: --%s expects true or false, got '%s'\n", where, o->name, value);
            return -1;
        }
        *(bool *)o->value = !strcmp (value, "true") || !strcmp (value, "1");
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol (value, &end, 10);
    if (errno || end == value || *end || v < o->min || v > o->max) {
        fprintf (stderr, "%s: --%s expects an integer in %d..%d, got '%s'\n", where, o->name,
                 o->min, o->max, value);
        return -1;
    }
    *(int *)o->value = (int)v;
    return 0;
}

static char *s_trim (char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen (s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        *--end = 0;
    return s;
}

static int s_load_config (sw_opt_t *opts, const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        fprintf (stderr, "--config %s: %s\n", path, strerror (errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets (line, sizeof line, file)) {
        lineno++;
        char *text = s_trim (line);
        if (*text == 0 || *text == '#')
            continue;
        char *eq = strchr (text, '=');
        char where[300];
        snprintf (where, sizeof where, "%s:%d", path, lineno);
        if (!eq) {
            fprintf (stderr, "%s: expected 'name = value'\n", where);
            rc = -1;
            break;
        }
        *eq = 0;
        char *name = s_trim (text);
        char *value = s_trim (eq + 1);
        sw_opt_t *o = s_find (opts, name, strlen (name));
        if (!o) {
            fprintf (stderr, "%s: unknown setting '%s'\n", where, name);
            rc = -1;
        } else
            rc = s_set (o, value, where);
    }
    fclose (file);
    return rc;
}

int sw_opts_parse (sw_opt_t *opts, int argc, char **argv, int first, char **positional,
                   int *npositional, bool *help)
{
    int maxpos = *npositional;
    *npositional = 0;
    *help = false;
    //  The config file is applied first so that flags override it.
    for (int i = first; i < argc - 1; i++)
        if (strcmp (argv[i], "--config") == 0 && s_load_config (opts, argv[i + 1]))
            return -1;
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
            *help = true;
            continue;
        }
        if (strncmp (arg, "--", 2) != 0 || arg[2] == 0) {
            if (*npositional >= maxpos) {
                fprintf (stderr, "unexpected argument '%s'\n", arg);
                return -1;
            }
            positional[(*npositional)++] = (char *)arg;
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr (name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen (name);
        if (len == 6 && strncmp (name, "config", 6) == 0) {
            i += eq ? 0 : 1;
            continue;
        }
        sw_opt_t *o = s_find (opts, name, len);
        if (!o) {
            fprintf (stderr, "unknown option '--%.*s' (see --help)\n", (int)len, name);
            return -1;
        }
        const char *value;
        if (eq)
            value = eq + 1;
        else if (o->type == SW_OPT_FLAG)
            value = "true";
        else if (i + 1 < argc)
            value = argv[++i];
        else {
            fprintf (stderr, "option '--%s' needs a value\n", o->name);
            return -1;
        }
        if (s_set (o, value, "command line"))
            return -1;
    }
    return 0;
}

void sw_opts_usage (const sw_opt_t *opts)
{
    printf ("Options (also accepted as 'name = value' lines in --config FILE):\n");
    for (const sw_opt_t *o = opts; o->name; o++) {
        char left[64];
        snprintf (left, sizeof left, "--%s%s", o->name,
                  o->type == SW_OPT_STR   ? " TEXT"
                  : o->type == SW_OPT_INT ? " N"
                                          : "");
        printf ("  %-26s %s\n", left, o->help);
    }
    printf ("  %-26s %s\n  %-26s %s\n", "--config FILE", "read settings from FILE", "--help",
            "show this help");
}
