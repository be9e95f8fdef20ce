/*
 * _linescan: a block of Events-API archive lines -> Arrow column buffers.
 *
 * Why C: parsing ~500 MB of JSON an hour in Python holds the GIL for ~2 s, and
 * no arrangement of threads gets under that on two cores. This scanner runs
 * with the GIL released, so inflate, scan and parquet encode overlap fully.
 *
 * It is a fast path, never the only one. A line is accepted only when the row
 * it gives is exactly the row of the general Python path
 * (event_records.normalise): strict JSON, valid UTF-8, no NUL or surrogate
 * escape, the Events-API shape, every field it reads of the expected type.
 * Any other line is *declined*: its position is returned and the caller parses
 * it the slow way (mending, Timeline mapping, quarantine). Declining is always
 * safe, so every doubtful case declines.
 *
 * Columns are written in the order of events_schema.COLUMNS (checked at import
 * by block_parser against COLUMN_NAMES below). One file on purpose: one
 * translation unit lets the compiler inline the lexer into every member parser.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The caps of archive_lines.py and event_records.py, exported below and
 * checked against them at import: a line nested deeper, or whose created_at
 * lies outside the hour's window, is declined, and the general path
 * quarantines it with its reason. */
#define MAX_DEPTH 64
#define MICROS_PER_HOUR 3600000000LL
#define CREATED_AT_EARLIEST_HOURS 168 /* before the archive hour's start */
#define CREATED_AT_LATEST_HOURS 24    /* after it */

/* ------------------------------------------------------------------ buffers */

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static int buf_grow(Buf *b, size_t extra)
{
    size_t need = b->len + extra, cap;
    char *data;
    if (need <= b->cap)
        return 1;
    cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    data = realloc(b->data, cap);
    if (data == NULL)
        return 0;
    b->data = data;
    b->cap = cap;
    return 1;
}

static int buf_put(Buf *b, const void *src, size_t n)
{
    if (!buf_grow(b, n))
        return 0;
    memcpy(b->data + b->len, src, n);
    b->len += n;
    return 1;
}

static void buf_free(Buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ columns */

typedef enum { K_STR, K_I64, K_BOOL, K_LIST } Kind;

enum {
    C_ID, C_TYPE, C_CREATED_AT, C_ARCHIVE_HOUR, C_ACTOR_ID, C_ACTOR_LOGIN,
    C_REPO_ID, C_REPO_NAME, C_ORG_ID, C_ORG_LOGIN, C_PUBLIC, C_ACTION,
    C_PAYLOAD, C_NUMBER, C_REF, C_REF_TYPE, C_PUSH_SIZE, C_PUSH_DISTINCT_SIZE,
    C_PR_MERGED, C_PR_CREATED_AT, C_PR_MERGED_AT, C_PR_ADDITIONS,
    C_PR_DELETIONS, C_PR_CHANGED_FILES, C_RELEASE_TAG_NAME,
    C_COMMENT_ON_PULL_REQUEST, C_ISSUE_LABELS, N_COLUMNS
};

static const char *COLUMN_NAMES[N_COLUMNS] = {
    "id", "type", "created_at", "archive_hour", "actor_id", "actor_login",
    "repo_id", "repo_name", "org_id", "org_login", "public", "action",
    "payload", "number", "ref", "ref_type", "push_size", "push_distinct_size",
    "pr_merged", "pr_created_at", "pr_merged_at", "pr_additions",
    "pr_deletions", "pr_changed_files", "release_tag_name",
    "comment_on_pull_request", "issue_labels",
};

static const Kind KINDS[N_COLUMNS] = {
    K_STR, K_STR, K_I64, K_I64, K_I64, K_STR,
    K_I64, K_STR, K_I64, K_STR, K_BOOL, K_STR,
    K_STR, K_I64, K_STR, K_STR, K_I64, K_I64,
    K_BOOL, K_I64, K_I64, K_I64,
    K_I64, K_I64, K_STR,
    K_BOOL, K_LIST,
};

/* valid: one byte per row (packed into a bitmap at the end).
 * values: STR int32 offsets; I64 int64; BOOL one byte per row; LIST int32 offsets.
 * data: STR characters; LIST the child's int32 offsets. child: LIST characters. */
typedef struct {
    Buf valid, values, data, child;
    size_t nulls;
} Column;

/* ------------------------------------------------------------ parsed values */

typedef struct {
    const char *p;
    size_t n;
    uint8_t present, escaped, seen;
} Str;

typedef struct {
    int64_t v;
    uint8_t present, seen;
} Int;

typedef struct {
    uint8_t v, present, seen;
} Bool;

typedef struct {
    Str *items;
    size_t n, cap;
    uint8_t present, seen;
} Labels;

typedef struct {
    Int id;
    Str name; /* login, or a repository's name */
    uint8_t seen;
    const char *name_key;
    size_t name_key_n;
} Who;

typedef struct {
    Str id, type, created_at, action, ref, ref_type, tag_name, pr_created_at, pr_merged_at;
    Who actor, repo, org;
    Bool public_, pr_merged;
    Int number, size, distinct_size, pr_number, pr_additions, pr_deletions, pr_changed_files,
        issue_number;
    Labels pr_labels, issue_labels;
    const char *payload;
    size_t payload_n;
    uint8_t payload_seen, has_pr, has_issue, has_release, issue_pr_seen, issue_pr_truthy;
    int oom;
} Row;

static void row_reset(Row *r)
{
    Labels pr = r->pr_labels, issue = r->issue_labels;
    memset(r, 0, sizeof(*r));
    r->pr_labels.items = pr.items;
    r->pr_labels.cap = pr.cap;
    r->issue_labels.items = issue.items;
    r->issue_labels.cap = issue.cap;
    r->actor.name_key = "login";
    r->actor.name_key_n = 5;
    r->org.name_key = "login";
    r->org.name_key_n = 5;
    r->repo.name_key = "name";
    r->repo.name_key_n = 4;
}

/* -------------------------------------------------------------- JSON lexing */

static inline const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Does any of 8 bytes need a look: '"', '\\', a control byte or non-ASCII? */
static inline int special8(uint64_t v)
{
    uint64_t quote = v ^ (ONES * '"'), backslash = v ^ (ONES * '\\');
    return ((((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash) | (v - ONES * 0x20) |
             v) &
            HIGHS) != 0;
}

static inline int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of the valid UTF-8 sequence at s (a non-ASCII lead), 0 if invalid
 * (overlong, surrogate, beyond U+10FFFF, truncated). */
static inline int utf8_len(const unsigned char *s, const unsigned char *e)
{
    unsigned c = s[0];
    ptrdiff_t left = e - s;
    if (c >= 0xC2 && c <= 0xDF)
        return left >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

/* A JSON string at *pp (on its opening quote); out spans its raw content. */
static int scan_string(const char **pp, const char *e, Str *out)
{
    const char *p = *pp, *start;
    uint8_t escaped = 0;
    if (p >= e || *p != '"')
        return 0;
    start = ++p;
    for (;;) {
        unsigned char c;
        while (e - p >= 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            if (special8(v))
                break;
            p += 8;
        }
        if (p >= e)
            return 0;
        c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c == '\\') {
            char x;
            escaped = 1;
            if (e - p < 2)
                return 0;
            x = p[1];
            if (x == 'u') {
                unsigned code = 0;
                int i;
                if (e - p < 6)
                    return 0;
                for (i = 2; i < 6; i++) {
                    int h = hexval(p[i]);
                    if (h < 0)
                        return 0;
                    code = code * 16 + (unsigned)h;
                }
                /* NUL and surrogates: the general path removes or mends them. */
                if (code == 0 || (code >= 0xD800 && code <= 0xDFFF))
                    return 0;
                p += 6;
            } else if (x == '"' || x == '\\' || x == '/' || x == 'b' || x == 'f' || x == 'n' ||
                       x == 'r' || x == 't') {
                p += 2;
            } else {
                return 0;
            }
        } else if (c < 0x20) {
            return 0;
        } else if (c < 0x80) {
            p++;
        } else {
            int n = utf8_len((const unsigned char *)p, (const unsigned char *)e);
            if (n == 0)
                return 0;
            p += n;
        }
    }
    out->p = start;
    out->n = (size_t)(p - start);
    out->present = 1;
    out->escaped = escaped;
    *pp = p + 1;
    return 1;
}

/* A JSON number; *is_int when it is an integer that fits int64 (then *value).
 * Numbers beyond a double's range (1e400) are declined: orjson refuses them
 * and the general path turns them into null. */
static int scan_number(const char **pp, const char *e, int *is_int, int64_t *value)
{
    const char *p = *pp;
    int negative = 0, fits = 1, exponent_negative = 0;
    long int_digits = 0, exponent = 0;
    uint64_t magnitude = 0, limit;
    if (p < e && *p == '-') {
        negative = 1;
        p++;
    }
    if (p >= e || *p < '0' || *p > '9')
        return 0;
    if (*p == '0') {
        p++;
    } else {
        while (p < e && *p >= '0' && *p <= '9') {
            unsigned digit = (unsigned)(*p - '0');
            if (magnitude > (UINT64_MAX - digit) / 10)
                fits = 0;
            else
                magnitude = magnitude * 10 + digit;
            int_digits++;
            p++;
        }
    }
    *is_int = 1;
    if (p < e && *p == '.') {
        *is_int = 0;
        p++;
        if (p >= e || *p < '0' || *p > '9')
            return 0;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        *is_int = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            exponent_negative = *p++ == '-';
        if (p >= e || *p < '0' || *p > '9')
            return 0;
        while (p < e && *p >= '0' && *p <= '9') {
            if (exponent < 100000)
                exponent = exponent * 10 + (*p - '0');
            p++;
        }
    }
    if (int_digits - 1 + (exponent_negative ? -exponent : exponent) >= 308)
        return 0;
    limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (!fits || magnitude > limit)
        *is_int = 0;
    if (*is_int)
        *value = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    *pp = p;
    return 1;
}

static int literal(const char **pp, const char *e, const char *word, size_t n)
{
    if ((size_t)(e - *pp) < n || memcmp(*pp, word, n) != 0)
        return 0;
    *pp += n;
    return 1;
}

typedef int (*MemberFn)(void *ctx, const Str *key, const char **pp, const char *e, int depth);

static int skip_value(const char **pp, const char *e, int depth, int *truthy);

/* An object at *pp: member() consumes each member's value. */
static int parse_object(const char **pp, const char *e, int depth, MemberFn member, void *ctx)
{
    const char *p = *pp;
    if (depth >= MAX_DEPTH || p >= e || *p != '{')
        return 0;
    p = ws(p + 1, e);
    if (p < e && *p == '}') {
        *pp = p + 1;
        return 1;
    }
    for (;;) {
        Str key;
        if (!scan_string(&p, e, &key))
            return 0;
        p = ws(p, e);
        if (p >= e || *p != ':')
            return 0;
        p = ws(p + 1, e);
        if (p >= e || !member(ctx, &key, &p, e, depth + 1))
            return 0;
        p = ws(p, e);
        if (p < e && *p == ',') {
            p = ws(p + 1, e);
            continue;
        }
        if (p < e && *p == '}') {
            *pp = p + 1;
            return 1;
        }
        return 0;
    }
}

static int skip_member(void *ctx, const Str *key, const char **pp, const char *e, int depth)
{
    (void)ctx;
    (void)key;
    return skip_value(pp, e, depth, NULL);
}

/* Any value, checked; *truthy (when asked) as Python's bool() of it. */
static int skip_value(const char **pp, const char *e, int depth, int *truthy)
{
    const char *p = *pp;
    int is_int = 0, empty;
    int64_t number = 0;
    if (p >= e)
        return 0;
    switch (*p) {
    case '"': {
        Str s;
        if (!scan_string(&p, e, &s))
            return 0;
        empty = s.n == 0;
        break;
    }
    case '{':
        empty = ws(p + 1, e) < e && *ws(p + 1, e) == '}';
        if (!parse_object(&p, e, depth, skip_member, NULL))
            return 0;
        break;
    case '[':
        if (depth >= MAX_DEPTH)
            return 0;
        p = ws(p + 1, e);
        empty = p < e && *p == ']';
        if (empty) {
            p++;
            break;
        }
        for (;;) {
            if (!skip_value(&p, e, depth + 1, NULL))
                return 0;
            p = ws(p, e);
            if (p < e && *p == ',') {
                p = ws(p + 1, e);
                continue;
            }
            if (p < e && *p == ']') {
                p++;
                break;
            }
            return 0;
        }
        break;
    case 't':
        if (!literal(&p, e, "true", 4))
            return 0;
        empty = 0;
        break;
    case 'f':
        if (!literal(&p, e, "false", 5))
            return 0;
        empty = 1;
        break;
    case 'n':
        if (!literal(&p, e, "null", 4))
            return 0;
        empty = 1;
        break;
    default:
        if (!scan_number(&p, e, &is_int, &number))
            return 0;
        if (truthy != NULL && !is_int)
            return 0; /* a float's truth (1e-400 is false): leave it to Python */
        empty = number == 0;
    }
    if (truthy != NULL)
        *truthy = !empty;
    *pp = p;
    return 1;
}

/* ------------------------------------------------- typed members (or null) */

static int is_null(const char **pp, const char *e)
{
    return *pp < e && **pp == 'n' && literal(pp, e, "null", 4);
}

static int want_str(const char **pp, const char *e, Str *out)
{
    if (out->seen++)
        return 0; /* a duplicate key: leave it to the general path */
    if (is_null(pp, e))
        return 1;
    return scan_string(pp, e, out);
}

static int want_int(const char **pp, const char *e, Int *out)
{
    int is_int;
    if (out->seen++)
        return 0;
    if (is_null(pp, e))
        return 1;
    if (*pp >= e || !(**pp == '-' || (**pp >= '0' && **pp <= '9')))
        return 0;
    if (!scan_number(pp, e, &is_int, &out->v) || !is_int)
        return 0;
    out->present = 1;
    return 1;
}

static int want_bool(const char **pp, const char *e, Bool *out)
{
    if (out->seen++)
        return 0;
    if (is_null(pp, e))
        return 1;
    if (literal(pp, e, "true", 4))
        out->v = 1;
    else if (literal(pp, e, "false", 5))
        out->v = 0;
    else
        return 0;
    out->present = 1;
    return 1;
}

#define KEY_IS(key, word) ((key)->n == sizeof(word) - 1 && memcmp((key)->p, word, sizeof(word) - 1) == 0)

static int who_member(void *ctx, const Str *key, const char **pp, const char *e, int depth)
{
    Who *who = ctx;
    if (key->escaped)
        return 0;
    if (KEY_IS(key, "id"))
        return want_int(pp, e, &who->id);
    if (key->n == who->name_key_n && memcmp(key->p, who->name_key, key->n) == 0)
        return want_str(pp, e, &who->name);
    return skip_value(pp, e, depth, NULL);
}

static int want_who(const char **pp, const char *e, int depth, Who *who)
{
    if (who->seen++)
        return 0;
    if (is_null(pp, e))
        return 1;
    return parse_object(pp, e, depth, who_member, who);
}

typedef struct {
    Str name;
} LabelCtx;

static int label_member(void *ctx, const Str *key, const char **pp, const char *e, int depth)
{
    LabelCtx *label = ctx;
    if (key->escaped)
        return 0;
    if (KEY_IS(key, "name"))
        return want_str(pp, e, &label->name);
    return skip_value(pp, e, depth, NULL);
}

static int want_labels(const char **pp, const char *e, int depth, Labels *out, int *oom)
{
    const char *p = *pp;
    if (out->seen++)
        return 0;
    if (is_null(pp, e))
        return 1;
    if (p >= e || *p != '[' || depth >= MAX_DEPTH)
        return 0;
    out->present = 1;
    p = ws(p + 1, e);
    if (p < e && *p == ']') {
        *pp = p + 1;
        return 1;
    }
    for (;;) {
        LabelCtx label;
        memset(&label, 0, sizeof(label));
        /* Every label must be an object, or the general path reads no fields at all. */
        if (p >= e || *p != '{' || !parse_object(&p, e, depth + 1, label_member, &label))
            return 0;
        if (label.name.present) {
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 16;
                Str *items = realloc(out->items, cap * sizeof(Str));
                if (items == NULL) {
                    *oom = 1;
                    return 0;
                }
                out->items = items;
                out->cap = cap;
            }
            out->items[out->n++] = label.name;
        }
        p = ws(p, e);
        if (p < e && *p == ',') {
            p = ws(p + 1, e);
            continue;
        }
        if (p < e && *p == ']') {
            *pp = p + 1;
            return 1;
        }
        return 0;
    }
}

static int pull_request_member(void *ctx, const Str *key, const char **pp, const char *e,
                               int depth)
{
    Row *r = ctx;
    if (key->escaped)
        return 0;
    switch (key->n) {
    case 6:
        if (KEY_IS(key, "number"))
            return want_int(pp, e, &r->pr_number);
        if (KEY_IS(key, "merged"))
            return want_bool(pp, e, &r->pr_merged);
        if (KEY_IS(key, "labels"))
            return want_labels(pp, e, depth, &r->pr_labels, &r->oom);
        break;
    case 9:
        if (KEY_IS(key, "additions"))
            return want_int(pp, e, &r->pr_additions);
        if (KEY_IS(key, "deletions"))
            return want_int(pp, e, &r->pr_deletions);
        if (KEY_IS(key, "merged_at"))
            return want_str(pp, e, &r->pr_merged_at);
        break;
    case 10:
        if (KEY_IS(key, "created_at"))
            return want_str(pp, e, &r->pr_created_at);
        break;
    case 13:
        if (KEY_IS(key, "changed_files"))
            return want_int(pp, e, &r->pr_changed_files);
        break;
    }
    return skip_value(pp, e, depth, NULL);
}

/* issue.pull_request: the general path keeps any(values) of the object. */
static int any_truthy_member(void *ctx, const Str *key, const char **pp, const char *e, int depth)
{
    Row *r = ctx;
    int truthy;
    (void)key;
    if (!skip_value(pp, e, depth, &truthy))
        return 0;
    r->issue_pr_truthy |= (uint8_t)truthy;
    return 1;
}

static int issue_member(void *ctx, const Str *key, const char **pp, const char *e, int depth)
{
    Row *r = ctx;
    if (key->escaped)
        return 0;
    if (KEY_IS(key, "number"))
        return want_int(pp, e, &r->issue_number);
    if (KEY_IS(key, "labels"))
        return want_labels(pp, e, depth, &r->issue_labels, &r->oom);
    if (KEY_IS(key, "pull_request")) {
        if (r->issue_pr_seen++)
            return 0;
        if (is_null(pp, e))
            return 1;
        return parse_object(pp, e, depth, any_truthy_member, r);
    }
    return skip_value(pp, e, depth, NULL);
}

static int release_member(void *ctx, const Str *key, const char **pp, const char *e, int depth)
{
    Row *r = ctx;
    if (key->escaped)
        return 0;
    if (KEY_IS(key, "tag_name"))
        return want_str(pp, e, &r->tag_name);
    return skip_value(pp, e, depth, NULL);
}

/* A payload member that is an object (parsed by fn) or null. */
static int want_object(const char **pp, const char *e, int depth, uint8_t *seen, uint8_t *has,
                       MemberFn fn, Row *r)
{
    if ((*seen)++)
        return 0;
    if (is_null(pp, e))
        return 1;
    if (*pp >= e || **pp != '{')
        return 0; /* e.g. a Timeline-era issue id: the general path's business */
    *has = 1;
    return parse_object(pp, e, depth, fn, r);
}

typedef struct {
    Row *row;
    uint8_t pr_seen, issue_seen, release_seen;
} PayloadCtx;

static int payload_member(void *ctx, const Str *key, const char **pp, const char *e, int depth)
{
    PayloadCtx *payload = ctx;
    Row *r = payload->row;
    if (key->escaped)
        return 0;
    switch (key->n) {
    case 3:
        if (KEY_IS(key, "ref"))
            return want_str(pp, e, &r->ref);
        break;
    case 4:
        if (KEY_IS(key, "size"))
            return want_int(pp, e, &r->size);
        break;
    case 5:
        if (KEY_IS(key, "issue"))
            return want_object(pp, e, depth, &payload->issue_seen, &r->has_issue, issue_member,
                               r);
        break;
    case 6:
        if (KEY_IS(key, "action"))
            return want_str(pp, e, &r->action);
        if (KEY_IS(key, "number"))
            return want_int(pp, e, &r->number);
        break;
    case 7:
        if (KEY_IS(key, "release"))
            return want_object(pp, e, depth, &payload->release_seen, &r->has_release,
                               release_member, r);
        break;
    case 8:
        if (KEY_IS(key, "ref_type"))
            return want_str(pp, e, &r->ref_type);
        break;
    case 12:
        if (KEY_IS(key, "pull_request"))
            return want_object(pp, e, depth, &payload->pr_seen, &r->has_pr, pull_request_member,
                               r);
        break;
    case 13:
        if (KEY_IS(key, "distinct_size"))
            return want_int(pp, e, &r->distinct_size);
        break;
    }
    return skip_value(pp, e, depth, NULL);
}

static int record_member(void *ctx, const Str *key, const char **pp, const char *e, int depth)
{
    Row *r = ctx;
    if (key->escaped)
        return 0;
    switch (key->n) {
    case 2:
        if (KEY_IS(key, "id")) /* a string; a numeric or missing id is the general path's */
            return *pp < e && **pp == '"' && want_str(pp, e, &r->id);
        break;
    case 3:
        if (KEY_IS(key, "org"))
            return want_who(pp, e, depth, &r->org);
        break;
    case 4:
        if (KEY_IS(key, "type"))
            return want_str(pp, e, &r->type);
        if (KEY_IS(key, "repo"))
            return want_who(pp, e, depth, &r->repo);
        break;
    case 5:
        if (KEY_IS(key, "actor"))
            return want_who(pp, e, depth, &r->actor);
        break;
    case 6:
        if (KEY_IS(key, "public"))
            return want_bool(pp, e, &r->public_);
        break;
    case 7:
        if (KEY_IS(key, "payload")) {
            PayloadCtx payload;
            const char *start = *pp;
            if (r->payload_seen++)
                return 0;
            if (is_null(pp, e))
                return 1;
            memset(&payload, 0, sizeof(payload));
            payload.row = r;
            if (!parse_object(pp, e, depth, payload_member, &payload))
                return 0;
            r->payload = start;
            r->payload_n = (size_t)(*pp - start);
            return 1;
        }
        break;
    case 10:
        if (KEY_IS(key, "created_at"))
            return want_str(pp, e, &r->created_at);
        if (KEY_IS(key, "repository"))
            return 0; /* the Timeline shape */
        break;
    case 16:
        if (KEY_IS(key, "actor_attributes"))
            return 0;
        break;
    }
    return skip_value(pp, e, depth, NULL);
}

/* --------------------------------------------------------------- timestamps */

static int digits(const char *p, int n, int *out)
{
    int v = 0, i;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS" then "Z" or "+HH:MM"/"-HH:MM" -> microseconds, UTC.
 * Other spellings are declined (Python's fromisoformat reads them). */
static int parse_timestamp(const Str *s, int64_t *micros)
{
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s->p;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, dim, sign = 0;
    if (s->escaped || (s->n != 20 && s->n != 25))
        return 0;
    if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':')
        return 0;
    if (!digits(p, 4, &y) || !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) ||
        !digits(p + 11, 2, &h) || !digits(p + 14, 2, &mi) || !digits(p + 17, 2, &sec))
        return 0;
    if (s->n == 20) {
        if (p[19] != 'Z')
            return 0;
    } else {
        if (p[19] == '+')
            sign = 1;
        else if (p[19] == '-')
            sign = -1;
        else
            return 0;
        if (p[22] != ':' || !digits(p + 20, 2, &oh) || !digits(p + 23, 2, &om) || oh > 23 ||
            om > 59)
            return 0;
    }
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
        return 0;
    dim = month_days[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    if (d > dim)
        return 0;
    *micros = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
               sign * (oh * 3600 + om * 60)) *
              1000000LL;
    return 1;
}

/* ------------------------------------------------------------ row → columns */

/* The decoded characters of a validated string (escapes resolved). */
static int put_chars(Buf *b, const Str *s)
{
    const char *p = s->p, *e = s->p + s->n;
    if (!s->escaped)
        return buf_put(b, p, s->n);
    if (!buf_grow(b, s->n))
        return 0;
    while (p < e) {
        const char *run = p;
        char *out;
        while (p < e && *p != '\\')
            p++;
        memcpy(b->data + b->len, run, (size_t)(p - run));
        b->len += (size_t)(p - run);
        if (p >= e)
            break;
        out = b->data + b->len;
        switch (p[1]) {
        case 'b': *out = '\b'; b->len++; p += 2; break;
        case 'f': *out = '\f'; b->len++; p += 2; break;
        case 'n': *out = '\n'; b->len++; p += 2; break;
        case 'r': *out = '\r'; b->len++; p += 2; break;
        case 't': *out = '\t'; b->len++; p += 2; break;
        case 'u': {
            unsigned code = (unsigned)(hexval(p[2]) << 12 | hexval(p[3]) << 8 |
                                       hexval(p[4]) << 4 | hexval(p[5]));
            /* At most 3 bytes for the 6 of the escape: never beyond the reserve. */
            if (code < 0x80) {
                out[0] = (char)code;
                b->len += 1;
            } else if (code < 0x800) {
                out[0] = (char)(0xC0 | code >> 6);
                out[1] = (char)(0x80 | (code & 0x3F));
                b->len += 2;
            } else {
                out[0] = (char)(0xE0 | code >> 12);
                out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
                out[2] = (char)(0x80 | (code & 0x3F));
                b->len += 3;
            }
            p += 6;
            break;
        }
        default: *out = p[1]; b->len++; p += 2; /* " \ / */
        }
    }
    return 1;
}

static int put_valid(Column *c, int valid)
{
    uint8_t flag = (uint8_t)valid;
    c->nulls += !valid;
    return buf_put(&c->valid, &flag, 1);
}

static int put_offset(Buf *offsets, size_t value)
{
    int32_t offset = (int32_t)value;
    return buf_put(offsets, &offset, 4);
}

static int put_str(Column *c, const Str *s)
{
    if (s->present && !put_chars(&c->data, s))
        return 0;
    return put_valid(c, s->present) && put_offset(&c->values, c->data.len);
}

static int put_bytes(Column *c, const char *p, size_t n)
{
    if (p != NULL && !buf_put(&c->data, p, n))
        return 0;
    return put_valid(c, p != NULL) && put_offset(&c->values, c->data.len);
}

static int put_i64(Column *c, int present, int64_t v)
{
    if (!present)
        v = 0;
    return put_valid(c, present) && buf_put(&c->values, &v, 8);
}

static int put_bool(Column *c, const Bool *b)
{
    uint8_t v = b->present ? b->v : 0;
    return put_valid(c, b->present) && buf_put(&c->values, &v, 1);
}

static int put_labels(Column *c, const Labels *labels)
{
    size_t i;
    if (labels != NULL && labels->present) {
        for (i = 0; i < labels->n; i++)
            if (!put_chars(&c->child, &labels->items[i]) ||
                !put_offset(&c->data, c->child.len))
                return 0;
    }
    return put_valid(c, labels != NULL && labels->present) &&
           put_offset(&c->values, c->data.len / 4 - 1);
}

#define TYPE_IS(r, word) KEY_IS(&(r)->type, word)

/* Decide a parsed row's columns as payload_fields.typed_columns does. */
typedef struct {
    Int number, push_size, push_distinct_size, additions, deletions, changed_files;
    Int created_at, merged_at, pr_created_at;
    Str ref, ref_type, tag_name;
    Bool merged, on_pull_request;
    const Labels *labels;
} Typed;

/* Python's ``a or b`` for two optional integers. */
static Int first_truthy(Int a, Int b)
{
    return (a.present && a.v != 0) ? a : b;
}

static int typed_columns(Row *r, Typed *t, int64_t archive_hour)
{
    memset(t, 0, sizeof(*t));
    if (!r->id.present || r->id.n == 0 || !r->type.present || r->type.n == 0 ||
        r->type.escaped || !r->created_at.present)
        return 0; /* the general path: a surrogate id, or the record's error */
    if (!parse_timestamp(&r->created_at, &t->created_at.v))
        return 0;
    if (t->created_at.v < archive_hour - CREATED_AT_EARLIEST_HOURS * MICROS_PER_HOUR ||
        t->created_at.v >= archive_hour + CREATED_AT_LATEST_HOURS * MICROS_PER_HOUR)
        return 0; /* outside the hour's window: quarantined by the general path */
    if (r->id.escaped)
        return 0;
    for (size_t i = 0; i < r->id.n; i++)
        if (r->id.p[i] < '0' || r->id.p[i] > '9')
            return 0; /* not a GitHub event id: the general path says why */
    t->created_at.present = 1;
    if (TYPE_IS(r, "PushEvent")) {
        t->ref = r->ref;
        t->push_size = r->size;
        t->push_distinct_size = r->distinct_size;
    } else if (TYPE_IS(r, "CreateEvent") || TYPE_IS(r, "DeleteEvent")) {
        t->ref = r->ref;
        t->ref_type = r->ref_type;
    } else if (TYPE_IS(r, "PullRequestEvent")) {
        t->number = r->number;
        if (r->has_pr) {
            t->number = first_truthy(r->number, r->pr_number);
            t->merged = r->pr_merged;
            t->additions = r->pr_additions;
            t->deletions = r->pr_deletions;
            t->changed_files = r->pr_changed_files;
            if (r->pr_created_at.present) {
                if (!parse_timestamp(&r->pr_created_at, &t->pr_created_at.v))
                    return 0;
                t->pr_created_at.present = 1;
            }
            if (r->pr_merged_at.present) {
                if (!parse_timestamp(&r->pr_merged_at, &t->merged_at.v))
                    return 0;
                t->merged_at.present = 1;
            }
            t->labels = &r->pr_labels;
        }
    } else if (r->type.n >= 17 && memcmp(r->type.p, "PullRequestReview", 17) == 0) {
        Int none = {0, 0, 0};
        t->number = first_truthy(r->has_pr ? r->pr_number : none, r->number);
    } else if (TYPE_IS(r, "IssuesEvent") || TYPE_IS(r, "IssueCommentEvent")) {
        if (r->has_issue) {
            t->number = first_truthy(r->issue_number, r->number);
            if (TYPE_IS(r, "IssuesEvent")) {
                t->labels = &r->issue_labels;
            } else {
                t->on_pull_request.present = 1;
                t->on_pull_request.v = r->issue_pr_truthy;
            }
        } else {
            t->number = r->number;
        }
    } else if (TYPE_IS(r, "ReleaseEvent") && r->has_release) {
        t->tag_name = r->tag_name;
    }
    return 1;
}

static int put_row(Column *cols, const Row *r, const Typed *t, int64_t archive_hour)
{
    return put_str(&cols[C_ID], &r->id) && put_str(&cols[C_TYPE], &r->type) &&
           put_i64(&cols[C_CREATED_AT], 1, t->created_at.v) &&
           put_i64(&cols[C_ARCHIVE_HOUR], 1, archive_hour) &&
           put_i64(&cols[C_ACTOR_ID], r->actor.id.present, r->actor.id.v) &&
           put_str(&cols[C_ACTOR_LOGIN], &r->actor.name) &&
           put_i64(&cols[C_REPO_ID], r->repo.id.present, r->repo.id.v) &&
           put_str(&cols[C_REPO_NAME], &r->repo.name) &&
           put_i64(&cols[C_ORG_ID], r->org.id.present, r->org.id.v) &&
           put_str(&cols[C_ORG_LOGIN], &r->org.name) && put_bool(&cols[C_PUBLIC], &r->public_) &&
           put_str(&cols[C_ACTION], &r->action) &&
           put_bytes(&cols[C_PAYLOAD], r->payload, r->payload_n) &&
           put_i64(&cols[C_NUMBER], t->number.present, t->number.v) &&
           put_str(&cols[C_REF], &t->ref) && put_str(&cols[C_REF_TYPE], &t->ref_type) &&
           put_i64(&cols[C_PUSH_SIZE], t->push_size.present, t->push_size.v) &&
           put_i64(&cols[C_PUSH_DISTINCT_SIZE], t->push_distinct_size.present,
                   t->push_distinct_size.v) &&
           put_bool(&cols[C_PR_MERGED], &t->merged) &&
           put_i64(&cols[C_PR_CREATED_AT], t->pr_created_at.present, t->pr_created_at.v) &&
           put_i64(&cols[C_PR_MERGED_AT], t->merged_at.present, t->merged_at.v) &&
           put_i64(&cols[C_PR_ADDITIONS], t->additions.present, t->additions.v) &&
           put_i64(&cols[C_PR_DELETIONS], t->deletions.present, t->deletions.v) &&
           put_i64(&cols[C_PR_CHANGED_FILES], t->changed_files.present, t->changed_files.v) &&
           put_str(&cols[C_RELEASE_TAG_NAME], &t->tag_name) &&
           put_bool(&cols[C_COMMENT_ON_PULL_REQUEST], &t->on_pull_request) &&
           put_labels(&cols[C_ISSUE_LABELS], t->labels);
}

/* ------------------------------------------------------------------- a block */

typedef struct {
    Column cols[N_COLUMNS];
    Buf declined; /* int64 triples: line index, start, end */
    size_t rows, lines;
    Row row;
    int oom;
} Scan;

static void scan_free(Scan *s)
{
    int i;
    for (i = 0; i < N_COLUMNS; i++) {
        buf_free(&s->cols[i].valid);
        buf_free(&s->cols[i].values);
        buf_free(&s->cols[i].data);
        buf_free(&s->cols[i].child);
    }
    buf_free(&s->declined);
    free(s->row.pr_labels.items);
    free(s->row.issue_labels.items);
}

static int scan_line(Scan *s, const char *p, const char *e, int64_t archive_hour)
{
    Row *r = &s->row;
    Typed typed;
    row_reset(r);
    p = ws(p, e);
    if (!parse_object(&p, e, 0, record_member, r)) {
        s->oom |= r->oom;
        return 0;
    }
    if (ws(p, e) != e || !typed_columns(r, &typed, archive_hour))
        return 0; /* e.g. two objects on one line */
    if (!put_row(s->cols, r, &typed, archive_hour)) {
        s->oom = 1;
        return 0;
    }
    return 1;
}

static void scan_block(Scan *s, const char *data, size_t size, int64_t archive_hour)
{
    const char *p = data, *end = data + size;
    int i;
    for (i = 0; i < N_COLUMNS; i++) {
        if (KINDS[i] == K_STR || KINDS[i] == K_LIST)
            s->oom |= !put_offset(&s->cols[i].values, 0);
        if (KINDS[i] == K_LIST)
            s->oom |= !put_offset(&s->cols[i].data, 0);
    }
    for (;;) {
        const char *newline = memchr(p, '\n', (size_t)(end - p));
        const char *stop = newline ? newline : end;
        if (scan_line(s, p, stop, archive_hour)) {
            s->rows++;
        } else {
            int64_t where[3] = {(int64_t)s->lines, p - data, stop - data};
            /* A declined line may have written some columns before failing:
             * put_row only fails on memory, which ends the whole scan. */
            s->oom |= !buf_put(&s->declined, where, sizeof(where));
        }
        s->lines++;
        if (s->oom || newline == NULL)
            break;
        p = newline + 1;
    }
}

/* ---------------------------------------------------------- Python objects */

/* A validity bitmap from one byte per row; None when nothing is null. */
static PyObject *bitmap(const Buf *bytes, size_t rows, int all_set)
{
    PyObject *out;
    unsigned char *bits;
    size_t i;
    if (all_set)
        Py_RETURN_NONE;
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)((rows + 7) / 8));
    if (out == NULL)
        return NULL;
    bits = (unsigned char *)PyBytes_AS_STRING(out);
    memset(bits, 0, (rows + 7) / 8);
    for (i = 0; i < rows; i++)
        if (bytes->data[i])
            bits[i / 8] |= (unsigned char)(1u << (i % 8));
    return out;
}

static PyObject *as_bytes(const Buf *b)
{
    return PyBytes_FromStringAndSize(b->len ? b->data : "", (Py_ssize_t)b->len);
}

static PyObject *column_buffers(const Column *c, Kind kind, size_t rows)
{
    PyObject *valid = bitmap(&c->valid, rows, c->nulls == 0);
    if (valid == NULL)
        return NULL;
    switch (kind) {
    case K_STR:
        return Py_BuildValue("(NNN)", valid, as_bytes(&c->values), as_bytes(&c->data));
    case K_I64:
        return Py_BuildValue("(NN)", valid, as_bytes(&c->values));
    case K_BOOL:
        return Py_BuildValue("(NN)", valid, bitmap(&c->values, rows, 0));
    default:
        return Py_BuildValue("(NNNN)", valid, as_bytes(&c->values), as_bytes(&c->data),
                             as_bytes(&c->child));
    }
}

PyDoc_STRVAR(scan_doc,
             "scan(data: bytes, archive_hour: int) -> (rows, lines, declined, columns)\n\n"
             "Scan a block of newline-separated archive lines. ``columns`` holds, per\n"
             "column of COLUMN_NAMES, the Arrow buffers of the accepted lines' rows:\n"
             "(validity, offsets, data) for strings, (validity, values) for int64,\n"
             "timestamps and booleans, (validity, offsets, child offsets, child data)\n"
             "for the label lists; validity is None when nothing is null. ``declined``\n"
             "lists (line index, start, end) of the lines left to the general path.");

static PyObject *scan(PyObject *self, PyObject *args)
{
    Py_buffer view;
    long long archive_hour;
    Scan *s;
    PyObject *declined = NULL, *columns = NULL, *result = NULL;
    size_t i;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*L", &view, &archive_hour))
        return NULL;
    if ((size_t)view.len > (size_t)INT32_MAX) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "a block over 2 GiB: parse it line by line");
        return NULL;
    }
    s = calloc(1, sizeof(Scan));
    if (s == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    scan_block(s, view.buf, (size_t)view.len, archive_hour);
    Py_END_ALLOW_THREADS
    if (s->oom) {
        PyErr_NoMemory();
        goto done;
    }
    declined = PyList_New((Py_ssize_t)(s->declined.len / 24));
    columns = PyTuple_New(N_COLUMNS);
    if (declined == NULL || columns == NULL)
        goto done;
    for (i = 0; i < s->declined.len / 24; i++) {
        const int64_t *where = (const int64_t *)(s->declined.data + 24 * i);
        PyObject *entry = Py_BuildValue("(LLL)", (long long)where[0], (long long)where[1],
                                        (long long)where[2]);
        if (entry == NULL)
            goto done;
        PyList_SET_ITEM(declined, (Py_ssize_t)i, entry);
    }
    for (i = 0; i < N_COLUMNS; i++) {
        PyObject *buffers = column_buffers(&s->cols[i], KINDS[i], s->rows);
        if (buffers == NULL)
            goto done;
        PyTuple_SET_ITEM(columns, (Py_ssize_t)i, buffers);
    }
    result = Py_BuildValue("(nnOO)", (Py_ssize_t)s->rows, (Py_ssize_t)s->lines, declined,
                           columns);
done:
    Py_XDECREF(declined);
    Py_XDECREF(columns);
    scan_free(s);
    free(s);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_linescan",
    "Events-API archive lines -> Arrow column buffers, without the GIL.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__linescan(void)
{
    PyObject *m = PyModule_Create(&module), *names;
    int i;
    if (m == NULL)
        return NULL;
    names = PyTuple_New(N_COLUMNS);
    if (names == NULL) {
        Py_DECREF(m);
        return NULL;
    }
    for (i = 0; i < N_COLUMNS; i++)
        PyTuple_SET_ITEM(names, i, PyUnicode_FromString(COLUMN_NAMES[i]));
    if (PyModule_AddObject(m, "COLUMN_NAMES", names) < 0) {
        Py_DECREF(names);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "MAX_DEPTH", MAX_DEPTH) < 0 ||
        PyModule_AddIntConstant(m, "CREATED_AT_EARLIEST_HOURS", CREATED_AT_EARLIEST_HOURS) < 0 ||
        PyModule_AddIntConstant(m, "CREATED_AT_LATEST_HOURS", CREATED_AT_LATEST_HOURS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
