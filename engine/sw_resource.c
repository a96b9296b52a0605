/*  sw_resource - typed resource documents and the input errors met while
    loading them. */
#include "sw_resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

sw_resset_t *sw_resset_new (void)
{
    sw_resset_t *self = calloc (1, sizeof (sw_resset_t));
    if (!self)
        return NULL;
    self->arena = sw_arena_new ();
    if (!self->arena) {
        free (self);
        return NULL;
    }
    self->now = (int64_t)time (NULL);
    return self;
}

void sw_resset_destroy (sw_resset_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_resset_t *self = *self_p;
    sw_arena_destroy (&self->arena);
    free (self->items);
    free (self->errors);
    free (self);
    *self_p = NULL;
}

sw_resource_t *sw_resset_add (sw_resset_t *self, const char *type, const char *type2,
                              const char *id, const char *file, uint32_t line, sw_val_t *doc)
{
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 64;
        sw_resource_t *items = realloc (self->items, cap * sizeof (sw_resource_t));
        if (!items)
            abort ();
        self->items = items;
        self->cap = cap;
    }
    sw_resource_t *r = &self->items[self->n++];
    r->type = sw_arena_strdup (self->arena, type);
    r->type2 = type2 ? sw_arena_strdup (self->arena, type2) : NULL;
    r->id = sw_arena_strdup (self->arena, id);
    r->file = sw_arena_strdup (self->arena, file ? file : "");
    r->line = line;
    r->doc = doc;
    return r;
}

static void s_push_error (sw_resset_t *self, const char *file, uint32_t line, uint32_t col,
                          char *message)
{
    if (self->nerrors == self->errcap) {
        size_t cap = self->errcap ? self->errcap * 2 : 8;
        sw_input_error_t *e = realloc (self->errors, cap * sizeof (sw_input_error_t));
        if (!e)
            abort ();
        self->errors = e;
        self->errcap = cap;
    }
    sw_input_error_t *e = &self->errors[self->nerrors++];
    e->file = sw_arena_strdup (self->arena, file ? file : "");
    e->line = line;
    e->col = col;
    e->message = message;
}

void sw_resset_error (sw_resset_t *self, const char *file, uint32_t line, uint32_t col,
                      const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, sizeof buf, fmt, ap);
    va_end (ap);
    s_push_error (self, file, line, col, sw_arena_strdup (self->arena, buf));
}

void sw_resset_error_text (sw_resset_t *self, const char *file, const char *text)
{
    //  Loader messages read "file:line:col: message"; keep the message and
    //  the position apart so that reports can show each.
    size_t flen = strlen (file);
    unsigned line = 0, col = 0;
    int used = 0;
    if (strncmp (text, file, flen) == 0 && text[flen] == ':' &&
        sscanf (text + flen, ":%u:%u: %n", &line, &col, &used) == 2 && used > 0)
        text += flen + (size_t)used;
    else if (strncmp (text, file, flen) == 0 && text[flen] == ':' && text[flen + 1] == ' ')
        text += flen + 2;
    s_push_error (self, file, line, col, sw_arena_strdup (self->arena, text));
}

static int s_cmp (const void *a, const void *b)
{
    const sw_resource_t *x = a, *y = b;
    int c = strcmp (x->type, y->type);
    return c ? c : strcmp (x->id, y->id);
}

void sw_resset_sort (sw_resset_t *self)
{
    if (self->n > 1)
        qsort (self->items, self->n, sizeof (sw_resource_t), s_cmp);
}
