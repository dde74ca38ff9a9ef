/*
 * redkeep._zsl: the ordered index of a sorted set.  Mirrors the zskiplist
 * half of Redis's t_zset.c (zslInsert, zslDeleteNode, zslUpdateScore,
 * zslGetRank, zslGetElementByRank, zslDeleteRangeByRank): a skiplist with
 * spans, so rank -> element and element -> rank are O(log n).
 *
 * Why C: every ZADD that moves a member used to be SortedList.remove +
 * SortedList.add in sortedcontainers (pure Python, ~6 us), and no well-kept
 * PyPI library offers an order-statistic sorted container in C for Python
 * 3.11: sortedcontainers is pure Python, orderedstructs fails to build with
 * gcc because of -Werror, blist and bintrees are dead or lack rank.
 *
 * Order: (double score, bytes member).  Scores compare as C doubles (so
 * -0.0 == 0.0), then members by memcmp with the shorter first on a common
 * prefix: exactly Python's order of (float, bytes) tuples, which the Python
 * side (sortedset.py, t_zset.py) relies on.  NaN is refused, as in Redis.
 *
 * One difference from Redis's layout: each link also keeps its target's
 * score, so a search step that does not move forward costs no cache miss
 * (rank/insert about 1.5x faster on a 200k-element set, for 8 bytes a link).
 *
 * Nodes hold a strong reference to the member (an exact bytes object, shared
 * with the zset's dict key).  Only exact bytes are accepted: they cannot
 * reference anything, so the list needs no cycle GC support and freeing a
 * member never runs Python code in the middle of a structural change.
 *
 * Python allocations (tuples) can trigger the cycle collector, which can run
 * arbitrary code; every loop that walks nodes across such an allocation
 * re-checks ``version`` and raises RuntimeError instead of following a node
 * pointer that may have been freed.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define ZSL_MAXLEVEL 32 /* as Redis: enough for 4^32 elements at p = 1/4 */

typedef struct zslnode zslnode;

struct zslnode {
    double score;
    PyObject *member; /* exact bytes, owned; NULL in the header */
    zslnode *backward;
    struct {
        zslnode *forward;
        Py_ssize_t span; /* nodes crossed by this link (to the end if forward is NULL) */
        /* forward->score: a search compares with it without loading the
         * forward node (a cache miss in a big set) unless it moves there or
         * the scores tie */
        double fscore;
    } level[];
};

typedef struct {
    PyObject_HEAD
    zslnode *header;
    zslnode *tail;
    Py_ssize_t length;
    int level;
    uint64_t version; /* bumped by every change: iterators detect mutation */
} ZSkipList;

typedef struct {
    PyObject_HEAD
    ZSkipList *zl;
    zslnode *node; /* next to yield */
    Py_ssize_t remaining;
    uint64_t version;
    int reverse;
} ZSkipListIter;

static PyTypeObject ZSkipList_Type;
static PyTypeObject ZSkipListIter_Type;

/* ------------------------------------------------------------------------ */
/* Random levels: xorshift64*, seeded once at import (Python's random would
 * cost a call per insert). */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static inline uint64_t
rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* p = 1/4 per level, taking two bits at a time from the high end (the
 * stronger bits of xorshift64*); 64 bits cover all 32 levels. */
static inline int
random_level(void)
{
    uint64_t r = rng_next();
    int level = 1;
    while ((r >> 62) == 0 && level < ZSL_MAXLEVEL) {
        level++;
        r <<= 2;
    }
    return level;
}

/* ------------------------------------------------------------------------ */
/* Nodes and comparisons */

static zslnode *
node_new(int level, double score, PyObject *member)
{
    zslnode *x = PyMem_Malloc(sizeof(zslnode) + (size_t)level * sizeof(x->level[0]));
    if (x == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    x->score = score;
    x->member = member;
    Py_XINCREF(member);
    x->backward = NULL;
    return x;
}

static inline void
node_free(zslnode *x)
{
    Py_XDECREF(x->member);
    PyMem_Free(x);
}

static inline int
member_cmp(PyObject *a, const char *b, Py_ssize_t blen)
{
    Py_ssize_t alen = PyBytes_GET_SIZE(a);
    int c = memcmp(PyBytes_AS_STRING(a), b, (size_t)(alen < blen ? alen : blen));
    if (c)
        return c;
    return (alen > blen) - (alen < blen);
}

/* What a search looks for: (score,) or (score, member). */
typedef struct {
    double score;
    const char *m;
    Py_ssize_t ml;
    int has_member;
} probe;

/* (score, x's member) < probe (strict) or <= probe (inclusive).  (s,)
 * sorts before every (s, member), so with no member only a smaller score
 * precedes. */
static inline int
score_precedes(double score, const zslnode *x, const probe *p, int inclusive)
{
    if (score < p->score)
        return 1;
    if (score > p->score || !p->has_member)
        return 0;
    int c = member_cmp(x->member, p->m, p->ml);
    return inclusive ? c <= 0 : c < 0;
}

static inline int
precedes(const zslnode *x, const probe *p, int inclusive)
{
    return score_precedes(x->score, x, p, inclusive);
}

/* The search step: does the target of x's link at level i precede p? */
#define LINK_PRECEDES(x, i, f, p, inclusive) \
    (((f) = (x)->level[i].forward) != NULL && score_precedes((x)->level[i].fscore, (f), (p), (inclusive)))

static inline void
probe_of(probe *p, double score, PyObject *member)
{
    p->score = score;
    p->m = PyBytes_AS_STRING(member);
    p->ml = PyBytes_GET_SIZE(member);
    p->has_member = 1;
}

/* ------------------------------------------------------------------------ */
/* The skiplist */

/* Elements that sort before the probe (or not after it, if inclusive). */
static Py_ssize_t
zsl_count(ZSkipList *zl, const probe *p, int inclusive)
{
    zslnode *x = zl->header, *f;
    Py_ssize_t rank = 0;
    for (int i = zl->level - 1; i >= 0; i--) {
        while (LINK_PRECEDES(x, i, f, p, inclusive)) {
            rank += x->level[i].span;
            x = f;
        }
    }
    return rank;
}

/* Link a fresh node at its place (before any equal element). */
static void
zsl_link(ZSkipList *zl, zslnode *n, int level)
{
    zslnode *update[ZSL_MAXLEVEL];
    Py_ssize_t rank[ZSL_MAXLEVEL];
    probe p;
    zslnode *x = zl->header, *f;
    int i;

    probe_of(&p, n->score, n->member);
    for (i = zl->level - 1; i >= 0; i--) {
        rank[i] = i == zl->level - 1 ? 0 : rank[i + 1];
        while (LINK_PRECEDES(x, i, f, &p, 0)) {
            rank[i] += x->level[i].span;
            x = f;
        }
        update[i] = x;
    }
    if (level > zl->level) {
        for (i = zl->level; i < level; i++) {
            rank[i] = 0;
            update[i] = zl->header;
            zl->header->level[i].span = zl->length;
        }
        zl->level = level;
    }
    for (i = 0; i < level; i++) {
        n->level[i].forward = update[i]->level[i].forward;
        n->level[i].fscore = update[i]->level[i].fscore;
        update[i]->level[i].forward = n;
        update[i]->level[i].fscore = n->score;
        n->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
        update[i]->level[i].span = (rank[0] - rank[i]) + 1;
    }
    for (i = level; i < zl->level; i++)
        update[i]->level[i].span++;
    n->backward = update[0] == zl->header ? NULL : update[0];
    if (n->level[0].forward)
        n->level[0].forward->backward = n;
    else
        zl->tail = n;
    zl->length++;
    zl->version++;
}

static int
zsl_insert(ZSkipList *zl, double score, PyObject *member)
{
    int level = random_level();
    zslnode *n = node_new(level, score, member);
    if (n == NULL)
        return -1;
    zsl_link(zl, n, level);
    return 0;
}

/* The node equal to (score, member), with update[] its predecessors. */
static zslnode *
zsl_find(ZSkipList *zl, double score, PyObject *member, zslnode **update)
{
    probe p;
    zslnode *x = zl->header, *f;
    probe_of(&p, score, member);
    for (int i = zl->level - 1; i >= 0; i--) {
        while (LINK_PRECEDES(x, i, f, &p, 0))
            x = f;
        update[i] = x;
    }
    x = x->level[0].forward;
    if (x && x->score == score && member_cmp(x->member, p.m, p.ml) == 0)
        return x;
    return NULL;
}

static void
zsl_unlink(ZSkipList *zl, zslnode *x, zslnode **update)
{
    for (int i = 0; i < zl->level; i++) {
        if (update[i]->level[i].forward == x) {
            update[i]->level[i].span += x->level[i].span - 1;
            update[i]->level[i].forward = x->level[i].forward;
            update[i]->level[i].fscore = x->level[i].fscore;
        }
        else {
            update[i]->level[i].span -= 1;
        }
    }
    if (x->level[0].forward)
        x->level[0].forward->backward = x->backward;
    else
        zl->tail = x->backward;
    while (zl->level > 1 && zl->header->level[zl->level - 1].forward == NULL)
        zl->level--;
    zl->length--;
    zl->version++;
}

static int
zsl_delete(ZSkipList *zl, double score, PyObject *member)
{
    zslnode *update[ZSL_MAXLEVEL];
    zslnode *x = zsl_find(zl, score, member, update);
    if (x == NULL)
        return 0;
    zsl_unlink(zl, x, update);
    node_free(x);
    return 1;
}

/* zslUpdateScore: in place when the order allows it, else relink.  The new
 * node is allocated before anything changes, so a MemoryError leaves the
 * list as it was.  1 moved, 0 absent, -1 error. */
static int
zsl_move(ZSkipList *zl, double old, double score, PyObject *member)
{
    zslnode *update[ZSL_MAXLEVEL];
    zslnode *x = zsl_find(zl, old, member, update);
    zslnode *n, *f;
    probe p;
    int level;

    if (x == NULL)
        return 0;
    probe_of(&p, score, member);
    f = x->level[0].forward;
    /* update[0] (x's predecessor) and the link's copy of f's score are in
     * cache already */
    if ((update[0] == zl->header || precedes(update[0], &p, 0))
        && (f == NULL || !score_precedes(x->level[0].fscore, f, &p, 1))) {
        x->score = score;
        for (int i = 0; i < zl->level && update[i]->level[i].forward == x; i++)
            update[i]->level[i].fscore = score;
        zl->version++;
        return 1;
    }
    level = random_level();
    n = node_new(level, score, member);
    if (n == NULL)
        return -1;
    zsl_unlink(zl, x, update);
    node_free(x);
    zsl_link(zl, n, level);
    return 1;
}

/* 0-based index -> node (index must be in range). */
static zslnode *
zsl_at(ZSkipList *zl, Py_ssize_t index)
{
    zslnode *x = zl->header, *f;
    Py_ssize_t traversed = 0, rank = index + 1;
    if (index == 0)
        return zl->header->level[0].forward;
    if (index == zl->length - 1)
        return zl->tail;
    for (int i = zl->level - 1; i >= 0; i--) {
        while ((f = x->level[i].forward) != NULL && traversed + x->level[i].span <= rank) {
            traversed += x->level[i].span;
            x = f;
        }
        if (traversed == rank)
            return x;
    }
    return NULL;
}

/* Remove the elements of [start, stop) (0-based, in range). */
static void
zsl_delete_range(ZSkipList *zl, Py_ssize_t start, Py_ssize_t stop)
{
    zslnode *update[ZSL_MAXLEVEL];
    zslnode *x = zl->header, *f, *next;
    Py_ssize_t traversed = 0, n = stop - start;
    for (int i = zl->level - 1; i >= 0; i--) {
        while ((f = x->level[i].forward) != NULL && traversed + x->level[i].span <= start) {
            traversed += x->level[i].span;
            x = f;
        }
        update[i] = x;
    }
    x = x->level[0].forward;
    while (x != NULL && n-- > 0) {
        next = x->level[0].forward;
        zsl_unlink(zl, x, update);
        node_free(x);
        x = next;
    }
}

static void
zsl_clear(ZSkipList *zl)
{
    zslnode *x = zl->header->level[0].forward, *next;
    while (x != NULL) {
        next = x->level[0].forward;
        node_free(x);
        x = next;
    }
    for (int i = 0; i < ZSL_MAXLEVEL; i++) {
        zl->header->level[i].forward = NULL;
        zl->header->level[i].span = 0;
    }
    zl->tail = NULL;
    zl->length = 0;
    zl->level = 1;
    zl->version++;
}

/* Building from sorted input in O(n): append after the current last node of
 * each level (the list must be empty at the start). */
typedef struct {
    zslnode *last[ZSL_MAXLEVEL];
    Py_ssize_t rank[ZSL_MAXLEVEL];
} appender;

static void
appender_init(ZSkipList *zl, appender *ap)
{
    for (int i = 0; i < ZSL_MAXLEVEL; i++) {
        ap->last[i] = zl->header;
        ap->rank[i] = 0;
    }
}

static int
appender_push(ZSkipList *zl, appender *ap, double score, PyObject *member)
{
    int level = random_level();
    Py_ssize_t r = zl->length + 1;
    zslnode *n = node_new(level, score, member);
    if (n == NULL)
        return -1;
    if (level > zl->level)
        zl->level = level;
    for (int i = 0; i < level; i++) {
        ap->last[i]->level[i].forward = n;
        ap->last[i]->level[i].fscore = score;
        ap->last[i]->level[i].span = r - ap->rank[i];
        ap->last[i] = n;
        ap->rank[i] = r;
        n->level[i].forward = NULL;
        n->level[i].span = 0;
    }
    n->backward = zl->tail;
    zl->tail = n;
    zl->length = r;
    return 0;
}

/* A last link at each level spans the nodes after it (Redis's convention,
 * which zsl_link and zsl_unlink maintain). */
static void
appender_finish(ZSkipList *zl, appender *ap)
{
    for (int i = 0; i < zl->level; i++)
        ap->last[i]->level[i].span = zl->length - ap->rank[i];
    zl->version++;
}

/* ------------------------------------------------------------------------ */
/* Argument conversion */

static int
to_score(PyObject *o, double *out)
{
    double d;
    if (PyFloat_Check(o)) {
        d = PyFloat_AS_DOUBLE(o);
    }
    else if (PyLong_Check(o)) {
        d = PyLong_AsDouble(o);
        if (d == -1.0 && PyErr_Occurred())
            return -1;
    }
    else {
        PyErr_Format(PyExc_TypeError, "score must be a float, not %.200s", Py_TYPE(o)->tp_name);
        return -1;
    }
    if (isnan(d)) {
        PyErr_SetString(PyExc_ValueError, "score is NaN");
        return -1;
    }
    *out = d;
    return 0;
}

static int
check_member(PyObject *o)
{
    if (PyBytes_CheckExact(o))
        return 0;
    PyErr_Format(PyExc_TypeError, "member must be bytes, not %.200s", Py_TYPE(o)->tp_name);
    return -1;
}

/* A (score, member) tuple. */
static int
parse_item(PyObject *t, double *score, PyObject **member)
{
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 2) {
        PyErr_Format(PyExc_TypeError, "expected a (score, member) tuple, not %.200s", Py_TYPE(t)->tp_name);
        return -1;
    }
    if (to_score(PyTuple_GET_ITEM(t, 0), score) < 0 || check_member(PyTuple_GET_ITEM(t, 1)) < 0)
        return -1;
    *member = PyTuple_GET_ITEM(t, 1);
    return 0;
}

/* A (score,) or (score, member) tuple.  The probe borrows the member's
 * buffer from the tuple, which the caller holds. */
static int
parse_probe(PyObject *t, probe *p)
{
    Py_ssize_t n;
    if (!PyTuple_Check(t) || (n = PyTuple_GET_SIZE(t)) < 1 || n > 2) {
        PyErr_Format(PyExc_TypeError, "expected a (score,) or (score, member) tuple, not %.200s",
                     Py_TYPE(t)->tp_name);
        return -1;
    }
    if (to_score(PyTuple_GET_ITEM(t, 0), &p->score) < 0)
        return -1;
    if (n == 1) {
        p->has_member = 0;
        p->m = NULL;
        p->ml = 0;
        return 0;
    }
    if (check_member(PyTuple_GET_ITEM(t, 1)) < 0)
        return -1;
    probe_of(p, p->score, PyTuple_GET_ITEM(t, 1));
    return 0;
}

static int
check_nargs(const char *name, Py_ssize_t nargs, Py_ssize_t want)
{
    if (nargs == want)
        return 0;
    PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd arguments (%zd given)", name, want, nargs);
    return -1;
}

/* (score, member); every field is read before the tuple allocation, which
 * may run the cycle collector. */
static PyObject *
node_tuple(const zslnode *x)
{
    PyObject *m = x->member, *s, *t;
    Py_INCREF(m);
    s = PyFloat_FromDouble(x->score);
    if (s == NULL) {
        Py_DECREF(m);
        return NULL;
    }
    t = PyTuple_New(2);
    if (t == NULL) {
        Py_DECREF(s);
        Py_DECREF(m);
        return NULL;
    }
    PyTuple_SET_ITEM(t, 0, s);
    PyTuple_SET_ITEM(t, 1, m);
    return t;
}

static PyObject *
mutated_error(void)
{
    PyErr_SetString(PyExc_RuntimeError, "ZSkipList changed during iteration");
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Iterator */

static PyObject *
iter_new(ZSkipList *zl, zslnode *start, Py_ssize_t count, int reverse)
{
    ZSkipListIter *it = PyObject_New(ZSkipListIter, &ZSkipListIter_Type);
    if (it == NULL)
        return NULL;
    Py_INCREF(zl);
    it->zl = zl;
    it->node = count > 0 ? start : NULL;
    it->remaining = count > 0 ? count : 0;
    it->version = zl->version;
    it->reverse = reverse;
    return (PyObject *)it;
}

static void
iter_dealloc(ZSkipListIter *it)
{
    Py_DECREF(it->zl);
    PyObject_Free(it);
}

static PyObject *
iter_next(ZSkipListIter *it)
{
    zslnode *x = it->node;
    if (it->remaining <= 0 || x == NULL)
        return NULL;
    if (it->version != it->zl->version) {
        it->remaining = 0;
        it->node = NULL;
        return mutated_error();
    }
    it->node = it->reverse ? x->backward : x->level[0].forward;
    it->remaining--;
    return node_tuple(x);
}

static PyObject *
iter_length_hint(ZSkipListIter *it, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSsize_t(it->node ? it->remaining : 0);
}

static PyMethodDef iter_methods[] = {
    {"__length_hint__", (PyCFunction)iter_length_hint, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ZSkipListIter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "redkeep._zsl.ZSkipListIterator",
    .tp_basicsize = sizeof(ZSkipListIter),
    .tp_dealloc = (destructor)iter_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)iter_next,
    .tp_methods = iter_methods,
};

/* ------------------------------------------------------------------------ */
/* ZSkipList: construction */

static PyObject *
zl_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    ZSkipList *zl = (ZSkipList *)type->tp_alloc(type, 0);
    if (zl == NULL)
        return NULL;
    zl->header = node_new(ZSL_MAXLEVEL, 0.0, NULL);
    if (zl->header == NULL) {
        Py_DECREF(zl);
        return NULL;
    }
    for (int i = 0; i < ZSL_MAXLEVEL; i++) {
        zl->header->level[i].forward = NULL;
        zl->header->level[i].span = 0;
    }
    zl->tail = NULL;
    zl->length = 0;
    zl->level = 1;
    zl->version = 0;
    return (PyObject *)zl;
}

typedef struct {
    double score;
    PyObject *member; /* borrowed from the input sequence */
} entry;

static int
entry_cmp(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->score < y->score)
        return -1;
    if (x->score > y->score)
        return 1;
    return member_cmp(x->member, PyBytes_AS_STRING(y->member), PyBytes_GET_SIZE(y->member));
}

/* Fill an empty list from an iterable of (score, member): sort (unless
 * already sorted, the usual case) then append in O(n). */
static int
zl_fill(ZSkipList *zl, PyObject *iterable)
{
    PyObject *seq = PySequence_Fast(iterable, "ZSkipList() argument must be iterable");
    entry *es = NULL;
    Py_ssize_t n, i;
    int sorted = 1, rc = -1;
    appender ap;

    if (seq == NULL)
        return -1;
    n = PySequence_Fast_GET_SIZE(seq);
    if (n == 0) {
        Py_DECREF(seq);
        return 0;
    }
    es = PyMem_Malloc((size_t)n * sizeof(entry));
    if (es == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < n; i++) {
        if (parse_item(PySequence_Fast_GET_ITEM(seq, i), &es[i].score, &es[i].member) < 0)
            goto done;
        if (sorted && i && entry_cmp(&es[i - 1], &es[i]) > 0)
            sorted = 0;
    }
    if (!sorted)
        qsort(es, (size_t)n, sizeof(entry), entry_cmp);
    appender_init(zl, &ap);
    for (i = 0; i < n; i++) {
        if (appender_push(zl, &ap, es[i].score, es[i].member) < 0) {
            appender_finish(zl, &ap);
            goto done;
        }
    }
    appender_finish(zl, &ap);
    rc = 0;
done:
    PyMem_Free(es);
    Py_DECREF(seq);
    return rc;
}

static int
zl_init(ZSkipList *zl, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"iterable", NULL};
    PyObject *iterable = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:ZSkipList", kwlist, &iterable))
        return -1;
    if (zl->length)
        zsl_clear(zl);
    if (iterable == Py_None)
        return 0;
    return zl_fill(zl, iterable);
}

static void
zl_dealloc(ZSkipList *zl)
{
    if (zl->header != NULL) {
        zsl_clear(zl);
        PyMem_Free(zl->header);
    }
    Py_TYPE(zl)->tp_free((PyObject *)zl);
}

/* ------------------------------------------------------------------------ */
/* ZSkipList: the hot-path methods (no tuples) */

PyDoc_STRVAR(insert_doc,
"insert(score, member)\n--\n\n"
"Add (score, member); the caller knows it is absent.");

static PyObject *
zl_insert(ZSkipList *zl, PyObject *const *args, Py_ssize_t nargs)
{
    double score;
    if (check_nargs("insert", nargs, 2) < 0 || to_score(args[0], &score) < 0 || check_member(args[1]) < 0)
        return NULL;
    if (zsl_insert(zl, score, args[1]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(delete_doc,
"delete(score, member) -> bool\n--\n\n"
"Remove (score, member): True if it was there, False (nothing changed) if not.");

static PyObject *
zl_delete(ZSkipList *zl, PyObject *const *args, Py_ssize_t nargs)
{
    double score;
    if (check_nargs("delete", nargs, 2) < 0 || to_score(args[0], &score) < 0 || check_member(args[1]) < 0)
        return NULL;
    return PyBool_FromLong(zsl_delete(zl, score, args[1]));
}

PyDoc_STRVAR(move_doc,
"move(old_score, new_score, member) -> bool\n--\n\n"
"Give member a new score (zslUpdateScore): True if (old_score, member) was\n"
"there, False (nothing changed) if not.");

static PyObject *
zl_move(ZSkipList *zl, PyObject *const *args, Py_ssize_t nargs)
{
    double old, score;
    int rc;
    if (check_nargs("move", nargs, 3) < 0 || to_score(args[0], &old) < 0 || to_score(args[1], &score) < 0
        || check_member(args[2]) < 0)
        return NULL;
    rc = zsl_move(zl, old, score, args[2]);
    if (rc < 0)
        return NULL;
    return PyBool_FromLong(rc);
}

PyDoc_STRVAR(rank_doc,
"rank(score, member) -> int\n--\n\n"
"How many elements sort before (score, member): its 0-based rank when\n"
"present (the same as bisect_left((score, member))).");

static PyObject *
zl_rank(ZSkipList *zl, PyObject *const *args, Py_ssize_t nargs)
{
    double score;
    probe p;
    if (check_nargs("rank", nargs, 2) < 0 || to_score(args[0], &score) < 0 || check_member(args[1]) < 0)
        return NULL;
    probe_of(&p, score, args[1]);
    return PyLong_FromSsize_t(zsl_count(zl, &p, 0));
}

/* ------------------------------------------------------------------------ */
/* ZSkipList: the SortedList subset */

static PyObject *
zl_add(ZSkipList *zl, PyObject *item)
{
    double score;
    PyObject *member;
    if (parse_item(item, &score, &member) < 0 || zsl_insert(zl, score, member) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
zl_remove(ZSkipList *zl, PyObject *item)
{
    double score;
    PyObject *member;
    if (parse_item(item, &score, &member) < 0)
        return NULL;
    if (!zsl_delete(zl, score, member)) {
        PyErr_Format(PyExc_ValueError, "%R not in list", item);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
zl_bisect_left(ZSkipList *zl, PyObject *item)
{
    probe p;
    if (parse_probe(item, &p) < 0)
        return NULL;
    return PyLong_FromSsize_t(zsl_count(zl, &p, 0));
}

static PyObject *
zl_bisect_right(ZSkipList *zl, PyObject *item)
{
    probe p;
    if (parse_probe(item, &p) < 0)
        return NULL;
    return PyLong_FromSsize_t(zsl_count(zl, &p, 1));
}

/* slice(start, stop).indices(length) for step 1. */
static void
clamp_range(Py_ssize_t length, Py_ssize_t *start, Py_ssize_t *stop)
{
    if (*start < 0) {
        *start += length;
        if (*start < 0)
            *start = 0;
    }
    else if (*start > length) {
        *start = length;
    }
    if (*stop < 0) {
        *stop += length;
        if (*stop < 0)
            *stop = 0;
    }
    else if (*stop > length) {
        *stop = length;
    }
}

static int
index_arg(PyObject *o, Py_ssize_t dflt, Py_ssize_t *out)
{
    if (o == Py_None) {
        *out = dflt;
        return 0;
    }
    *out = PyNumber_AsSsize_t(o, NULL); /* clamped, as slice indices are */
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

PyDoc_STRVAR(islice_doc,
"islice(start=None, stop=None, reverse=False)\n--\n\n"
"Iterator over the elements of [start:stop], backwards if reverse.");

static PyObject *
zl_islice(ZSkipList *zl, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"start", "stop", "reverse", NULL};
    PyObject *ostart = Py_None, *ostop = Py_None;
    int reverse = 0;
    Py_ssize_t start, stop, count;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOp:islice", kwlist, &ostart, &ostop, &reverse))
        return NULL;
    if (index_arg(ostart, 0, &start) < 0 || index_arg(ostop, zl->length, &stop) < 0)
        return NULL;
    clamp_range(zl->length, &start, &stop);
    count = stop - start;
    if (count <= 0)
        return iter_new(zl, NULL, 0, reverse);
    return iter_new(zl, zsl_at(zl, reverse ? stop - 1 : start), count, reverse);
}

static PyObject *
zl_iter(ZSkipList *zl)
{
    return iter_new(zl, zl->header->level[0].forward, zl->length, 0);
}

static PyObject *
zl_reversed(ZSkipList *zl, PyObject *Py_UNUSED(ignored))
{
    return iter_new(zl, zl->tail, zl->length, 1);
}

static PyObject *
zl_clear_meth(ZSkipList *zl, PyObject *Py_UNUSED(ignored))
{
    zsl_clear(zl);
    Py_RETURN_NONE;
}

static PyObject *
zl_copy(ZSkipList *zl, PyObject *Py_UNUSED(ignored))
{
    ZSkipList *n = (ZSkipList *)zl_new(Py_TYPE(zl), NULL, NULL);
    appender ap;
    if (n == NULL)
        return NULL;
    appender_init(n, &ap);
    for (zslnode *x = zl->header->level[0].forward; x != NULL; x = x->level[0].forward) {
        if (appender_push(n, &ap, x->score, x->member) < 0) {
            appender_finish(n, &ap);
            Py_DECREF(n);
            return NULL;
        }
    }
    appender_finish(n, &ap);
    return (PyObject *)n;
}

static PyObject *
zl_reduce(ZSkipList *zl, PyObject *Py_UNUSED(ignored))
{
    PyObject *items = PySequence_List((PyObject *)zl);
    if (items == NULL)
        return NULL;
    return Py_BuildValue("O(N)", (PyObject *)Py_TYPE(zl), items);
}

static PyObject *
zl_sizeof(ZSkipList *zl, PyObject *Py_UNUSED(ignored))
{
    /* the expected node size at p = 1/4 is 4/3 levels */
    Py_ssize_t node = (Py_ssize_t)sizeof(zslnode) + (Py_ssize_t)(sizeof(zl->header->level[0]) * 4 / 3);
    return PyLong_FromSsize_t(Py_TYPE(zl)->tp_basicsize + (Py_ssize_t)sizeof(zslnode)
                              + ZSL_MAXLEVEL * (Py_ssize_t)sizeof(zl->header->level[0]) + zl->length * node);
}

/* Structural self-check for the tests: order, backward links, length,
 * every span (to the end for a last link) and every link's copy of its
 * target's score (bit for bit: the sign of zero too). */
static PyObject *
zl_check(ZSkipList *zl, PyObject *Py_UNUSED(ignored))
{
    Py_ssize_t n = 0;
    zslnode *prev = NULL;
    for (zslnode *x = zl->header->level[0].forward; x != NULL; x = x->level[0].forward) {
        if (x->backward != prev)
            return PyErr_Format(PyExc_AssertionError, "bad backward link at %zd", n);
        if (prev != NULL) {
            probe p;
            probe_of(&p, x->score, x->member);
            if (!precedes(prev, &p, 1))
                return PyErr_Format(PyExc_AssertionError, "out of order at %zd", n);
        }
        prev = x;
        n++;
    }
    if (n != zl->length || zl->tail != prev)
        return PyErr_Format(PyExc_AssertionError, "length %zd, counted %zd, or bad tail", zl->length, n);
    if (zl->level < 1 || zl->level > ZSL_MAXLEVEL || (zl->level > 1 && zl->header->level[zl->level - 1].forward == NULL))
        return PyErr_Format(PyExc_AssertionError, "bad level %d", zl->level);
    for (int i = zl->level; i < ZSL_MAXLEVEL; i++)
        if (zl->header->level[i].forward != NULL)
            return PyErr_Format(PyExc_AssertionError, "link above the level at %d", i);
    for (int i = 0; i < zl->level; i++) {
        zslnode *x = zl->header, *y = zl->header->level[0].forward;
        Py_ssize_t rx = 0, ry = 1;
        while (1) {
            zslnode *f = x->level[i].forward;
            if (f == NULL) {
                if (x->level[i].span != zl->length - rx)
                    return PyErr_Format(PyExc_AssertionError, "bad last span at level %d", i);
                break;
            }
            while (y != NULL && y != f) {
                y = y->level[0].forward;
                ry++;
            }
            if (y == NULL)
                return PyErr_Format(PyExc_AssertionError, "link out of the list at level %d", i);
            if (x->level[i].span != ry - rx)
                return PyErr_Format(PyExc_AssertionError, "bad span at level %d rank %zd", i, rx);
            if (memcmp(&x->level[i].fscore, &f->score, sizeof(double)) != 0)
                return PyErr_Format(PyExc_AssertionError, "stale link score at level %d rank %zd", i, rx);
            x = f;
            rx = ry;
        }
    }
    Py_RETURN_NONE;
}

static Py_ssize_t
zl_length(ZSkipList *zl)
{
    return zl->length;
}

static int
zl_contains(ZSkipList *zl, PyObject *item)
{
    zslnode *update[ZSL_MAXLEVEL];
    double score;
    PyObject *member;
    if (parse_item(item, &score, &member) < 0)
        return -1;
    return zsl_find(zl, score, member, update) != NULL;
}

static PyObject *
zl_subscript(ZSkipList *zl, PyObject *key)
{
    Py_ssize_t len = zl->length;
    if (PyIndex_Check(key)) {
        Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (i == -1 && PyErr_Occurred())
            return NULL;
        if (i < 0)
            i += len;
        if (i < 0 || i >= len) {
            PyErr_SetString(PyExc_IndexError, "list index out of range");
            return NULL;
        }
        return node_tuple(zsl_at(zl, i));
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step, n, k, hop;
        uint64_t version = zl->version;
        PyObject *out, *t;
        zslnode *x;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0)
            return NULL;
        n = PySlice_AdjustIndices(len, &start, &stop, step);
        out = PyList_New(n);
        if (out == NULL || n == 0)
            return out;
        x = zsl_at(zl, start);
        hop = step < 0 ? -step : step;
        for (k = 0; k < n; k++) {
            if (zl->version != version) {
                Py_DECREF(out);
                return mutated_error();
            }
            t = node_tuple(x);
            if (t == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            PyList_SET_ITEM(out, k, t);
            if (k + 1 < n && zl->version == version) {
                for (Py_ssize_t h = 0; h < hop; h++)
                    x = step > 0 ? x->level[0].forward : x->backward;
            }
        }
        return out;
    }
    PyErr_Format(PyExc_TypeError, "indices must be integers or slices, not %.200s", Py_TYPE(key)->tp_name);
    return NULL;
}

/* del zl[i] and del zl[a:b] (contiguous slices only). */
static int
zl_ass_subscript(ZSkipList *zl, PyObject *key, PyObject *value)
{
    Py_ssize_t len = zl->length;
    if (value != NULL) {
        PyErr_SetString(PyExc_TypeError, "ZSkipList does not support item assignment");
        return -1;
    }
    if (PyIndex_Check(key)) {
        Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (i == -1 && PyErr_Occurred())
            return -1;
        if (i < 0)
            i += len;
        if (i < 0 || i >= len) {
            PyErr_SetString(PyExc_IndexError, "list assignment index out of range");
            return -1;
        }
        zsl_delete_range(zl, i, i + 1);
        return 0;
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step, n;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0)
            return -1;
        n = PySlice_AdjustIndices(len, &start, &stop, step);
        if (n == 0)
            return 0;
        if (step == 1) {
            zsl_delete_range(zl, start, start + n);
            return 0;
        }
        if (step == -1) {
            zsl_delete_range(zl, start - n + 1, start + 1);
            return 0;
        }
        PyErr_SetString(PyExc_ValueError, "ZSkipList deletes contiguous slices only (step 1 or -1)");
        return -1;
    }
    PyErr_Format(PyExc_TypeError, "indices must be integers or slices, not %.200s", Py_TYPE(key)->tp_name);
    return -1;
}

static PyObject *
zl_repr(ZSkipList *zl)
{
    PyObject *items = PySequence_List((PyObject *)zl), *r;
    if (items == NULL)
        return NULL;
    r = PyUnicode_FromFormat("%s(%R)", _PyType_Name(Py_TYPE(zl)), items);
    Py_DECREF(items);
    return r;
}

static PyMethodDef zl_methods[] = {
    {"insert", (PyCFunction)(void (*)(void))zl_insert, METH_FASTCALL, insert_doc},
    {"delete", (PyCFunction)(void (*)(void))zl_delete, METH_FASTCALL, delete_doc},
    {"move", (PyCFunction)(void (*)(void))zl_move, METH_FASTCALL, move_doc},
    {"rank", (PyCFunction)(void (*)(void))zl_rank, METH_FASTCALL, rank_doc},
    {"add", (PyCFunction)zl_add, METH_O, "add((score, member))"},
    {"remove", (PyCFunction)zl_remove, METH_O, "remove((score, member)); ValueError if absent"},
    {"bisect_left", (PyCFunction)zl_bisect_left, METH_O,
     "bisect_left(probe): elements < probe, a (score,) or (score, member) tuple"},
    {"bisect_right", (PyCFunction)zl_bisect_right, METH_O,
     "bisect_right(probe): elements <= probe, a (score,) or (score, member) tuple"},
    {"bisect", (PyCFunction)zl_bisect_right, METH_O, "bisect_right"},
    {"islice", (PyCFunction)(void (*)(void))zl_islice, METH_VARARGS | METH_KEYWORDS, islice_doc},
    {"clear", (PyCFunction)zl_clear_meth, METH_NOARGS, "remove every element"},
    {"copy", (PyCFunction)zl_copy, METH_NOARGS, "a shallow copy, in O(n)"},
    {"__copy__", (PyCFunction)zl_copy, METH_NOARGS, NULL},
    {"__reversed__", (PyCFunction)zl_reversed, METH_NOARGS, NULL},
    {"__reduce__", (PyCFunction)zl_reduce, METH_NOARGS, NULL},
    {"__sizeof__", (PyCFunction)zl_sizeof, METH_NOARGS, NULL},
    {"_check", (PyCFunction)zl_check, METH_NOARGS, "assert the structure's invariants (tests)"},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods zl_as_sequence = {
    .sq_length = (lenfunc)zl_length,
    .sq_contains = (objobjproc)zl_contains,
};

static PyMappingMethods zl_as_mapping = {
    .mp_length = (lenfunc)zl_length,
    .mp_subscript = (binaryfunc)zl_subscript,
    .mp_ass_subscript = (objobjargproc)zl_ass_subscript,
};

PyDoc_STRVAR(zl_doc,
"ZSkipList(iterable=None)\n--\n\n"
"(score, member) pairs in ascending order, as Redis's zskiplist: O(log n)\n"
"insert/delete/rank/index, O(1) per element iteration either way.\n"
"Scores are floats (no NaN), members exact bytes.");

static PyTypeObject ZSkipList_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "redkeep._zsl.ZSkipList",
    .tp_basicsize = sizeof(ZSkipList),
    .tp_dealloc = (destructor)zl_dealloc,
    .tp_repr = (reprfunc)zl_repr,
    .tp_as_sequence = &zl_as_sequence,
    .tp_as_mapping = &zl_as_mapping,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = zl_doc,
    .tp_iter = (getiterfunc)zl_iter,
    .tp_methods = zl_methods,
    .tp_init = (initproc)zl_init,
    .tp_new = zl_new,
};

/* ------------------------------------------------------------------------ */

static struct PyModuleDef zsl_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "redkeep._zsl",
    .m_doc = "Redis's zskiplist for redkeep's sorted sets (see _zsl.c).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__zsl(void)
{
    PyObject *m;
    struct timespec ts;
    uint64_t seed;

    if (PyType_Ready(&ZSkipList_Type) < 0 || PyType_Ready(&ZSkipListIter_Type) < 0)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&ts;
    rng_state ^= seed * 0xBF58476D1CE4E5B9ULL;
    if (rng_state == 0)
        rng_state = 0x9E3779B97F4A7C15ULL;
    m = PyModule_Create(&zsl_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ZSkipList_Type);
    if (PyModule_AddObject(m, "ZSkipList", (PyObject *)&ZSkipList_Type) < 0) {
        Py_DECREF(&ZSkipList_Type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
