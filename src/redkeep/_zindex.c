/*
 * redkeep._zindex: the ordered index of a sorted set, an order-statistic
 * B+tree: (score, member) entries in leaves, each inner node keeping the
 * element count of every subtree, so rank -> element and element -> rank are
 * O(log n), as with the spans of Redis's zskiplist (t_zset.c), which it
 * replaces.
 *
 * Why a B+tree and not Redis's skiplist: at 86k members (redis-benchmark's
 * ZADD with -r 100000) a skiplist search follows ~12 pointers to nodes
 * scattered over the heap, nearly every one a cache miss.  redkeep's skiplist
 * (the previous version of this module, with Redis's spans) took 3.1-3.5 us
 * per move of a member and 1.8 us per rank from Python; this tree takes
 * 1.4-1.8 us and 0.9-1.1 us, and 34 bytes per element instead of 56.  Under
 * redis-benchmark ZADD -P 1 the index went from 4.6 to 1.6 us of the
 * server's ~15 us per command (perf).  A search reads a few contiguous
 * arrays per level (scores packed together, members only on a score tie),
 * the upper levels stay in cache, and a move allocates nothing.
 *
 * Why C: no well-kept PyPI library offers an order-statistic sorted
 * container in C for Python 3.11 (sortedcontainers is pure Python,
 * orderedstructs fails to build with gcc -Werror, blist and bintrees are dead
 * or lack rank).
 *
 * Order: (double score, bytes member).  Scores compare as C doubles (so
 * -0.0 == 0.0), then members by memcmp with the shorter first on a common
 * prefix: exactly Python's order of (float, bytes) tuples, which the Python
 * side (sortedset.py, t_zset.py) relies on.  NaN is refused, as in Redis.
 *
 * Invariants (checked by _check()):
 *   - every leaf is at the same depth; leaves are chained in order (prev/next);
 *   - inner node: n >= 1 children, count[i] = elements under child[i];
 *     for i >= 1 the separator (score[i], member[i]) is a lower bound of
 *     child i and an upper bound (strict for unique elements, as in a zset;
 *     the SortedList interface also admits duplicates) of child i - 1:
 *         max(child[i-1]) < sep[i] <= min(child[i]);
 *     separators may be stale (the member they name may have been deleted),
 *     so they hold their own reference to the member;
 *   - a non-root node holds at least a quarter of its capacity after any
 *     delete (underfull nodes borrow from or merge with a sibling), so the
 *     height stays O(log n) and memory proportional to the elements.
 *
 * Leaves hold a strong reference to each member (an exact bytes object,
 * shared with the zset's dict key).  Only exact bytes are accepted: they
 * cannot reference anything, so the tree needs no cycle GC support and
 * freeing a member never runs Python code in the middle of a change.
 *
 * Python allocations (tuples) can trigger the cycle collector, which can run
 * arbitrary code; every loop that walks entries across such an allocation
 * re-checks ``version`` and raises RuntimeError instead of following a leaf
 * pointer that may have been freed.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* 32 entries of 16 bytes: a leaf is 544 bytes, an inner node 1 KiB.  16,
 * 64 and 128 were within the noise of 32 for moves and ranks at 86k
 * elements; smaller nodes waste less on small zsets. */
#ifndef LCAP /* overridable to test deep trees with small nodes */
#define LCAP 32
#endif
#ifndef ICAP
#define ICAP 32
#endif
/* Underfull below a quarter: such a node merges with a sibling when both
 * fit in CAP - MIN (so a merged leaf still has room), else they share their
 * entries evenly, which leaves each at least MIN only if CAP >= 3 MIN - 1. */
#define LMIN (LCAP / 4)
#define IMIN (ICAP / 4)
#if LMIN < 1 || IMIN < 2 || LCAP < 3 * LMIN - 1 || ICAP < 3 * IMIN - 1
#error "node capacities too small"
#endif
/* With every non-root inner node at least IMIN full, 2^63 elements need
 * fewer than 32 levels. */
#define MAXH 40

typedef struct leaf leaf;
typedef struct inner inner;

struct leaf {
    int n;
    leaf *prev, *next;
    double score[LCAP];
    PyObject *member[LCAP]; /* owned */
};

struct inner {
    int n;
    Py_ssize_t count[ICAP];
    void *child[ICAP];
    double score[ICAP];     /* separators; [0] unused */
    PyObject *member[ICAP]; /* owned; [0] is NULL */
};

typedef struct {
    PyObject_HEAD
    void *root;   /* a leaf when height == 0 (possibly empty) */
    int height;   /* inner levels above the leaves */
    leaf *head, *tail;
    Py_ssize_t length;
    Py_ssize_t nleaves, ninner;
    uint64_t version; /* bumped by every change: iterators detect mutation */
} ZIndex;

/* A position: an entry of a leaf. */
typedef struct {
    leaf *lf;
    int pos;
} cursor;

typedef struct {
    PyObject_HEAD
    ZIndex *zi;
    cursor at; /* next to yield */
    Py_ssize_t remaining;
    uint64_t version;
    int reverse;
} ZIndexIter;

static PyTypeObject ZIndex_Type;
static PyTypeObject ZIndexIter_Type;

/* ------------------------------------------------------------------------ */
/* Comparisons */

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

static inline void
probe_of(probe *p, double score, PyObject *member)
{
    p->score = score;
    p->m = PyBytes_AS_STRING(member);
    p->ml = PyBytes_GET_SIZE(member);
    p->has_member = 1;
}

/* (score, member) < probe (strict) or <= probe (inclusive).  (s,) sorts
 * before every (s, member), so with no member only a smaller score
 * precedes. */
static inline int
precedes(double score, PyObject *member, const probe *p, int inclusive)
{
    if (score < p->score)
        return 1;
    if (score > p->score || !p->has_member)
        return 0;
    int c = member_cmp(member, p->m, p->ml);
    return inclusive ? c <= 0 : c < 0;
}

/* The child of an inner node to descend into: the number of separators
 * that precede the probe.  With inclusive = 1 that is the child that holds
 * (or would hold) the probe's element; with 0, the last child that may hold
 * elements < probe. */
static inline int
inner_child(const inner *in, const probe *p, int inclusive)
{
    int lo = 1, hi = in->n;
    while (lo < hi) {
        int mid = (lo + hi) >> 1;
        if (precedes(in->score[mid], in->member[mid], p, inclusive))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

/* Entries of a leaf that precede the probe. */
static inline int
leaf_pos(const leaf *lf, const probe *p, int inclusive)
{
    int lo = 0, hi = lf->n;
    while (lo < hi) {
        int mid = (lo + hi) >> 1;
        if (precedes(lf->score[mid], lf->member[mid], p, inclusive))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static inline int
entry_is(const leaf *lf, int j, double score, const probe *p)
{
    return j < lf->n && lf->score[j] == score && member_cmp(lf->member[j], p->m, p->ml) == 0;
}

/* ------------------------------------------------------------------------ */
/* Nodes */

static leaf *
leaf_new(ZIndex *zi)
{
    leaf *lf = PyMem_Malloc(sizeof(leaf));
    if (lf == NULL)
        return NULL;
    lf->n = 0;
    lf->prev = lf->next = NULL;
    zi->nleaves++;
    return lf;
}

static inner *
inner_new(ZIndex *zi)
{
    inner *in = PyMem_Malloc(sizeof(inner));
    if (in == NULL)
        return NULL;
    in->n = 0;
    in->member[0] = NULL;
    zi->ninner++;
    return in;
}

static void
leaf_free(ZIndex *zi, leaf *lf)
{
    PyMem_Free(lf);
    zi->nleaves--;
}

static void
inner_free(ZIndex *zi, inner *in)
{
    PyMem_Free(in);
    zi->ninner--;
}

/* Elements under a node at height h (0: a leaf). */
static Py_ssize_t
node_size(void *x, int h)
{
    if (h == 0)
        return ((leaf *)x)->n;
    inner *in = x;
    Py_ssize_t s = 0;
    for (int i = 0; i < in->n; i++)
        s += in->count[i];
    return s;
}

static inline int
node_n(void *x, int h)
{
    return h == 0 ? ((leaf *)x)->n : ((inner *)x)->n;
}

/* Put an entry at position j of a leaf with room (the reference is taken). */
static inline void
leaf_put(leaf *lf, int j, double score, PyObject *member)
{
    int k = lf->n - j;
    if (k > 0) {
        memmove(&lf->score[j + 1], &lf->score[j], (size_t)k * sizeof(double));
        memmove(&lf->member[j + 1], &lf->member[j], (size_t)k * sizeof(PyObject *));
    }
    lf->score[j] = score;
    Py_INCREF(member);
    lf->member[j] = member;
    lf->n++;
}

/* Take entry j out of a leaf; the caller owns the returned reference. */
static inline PyObject *
leaf_take(leaf *lf, int j)
{
    PyObject *m = lf->member[j];
    int k = lf->n - j - 1;
    if (k > 0) {
        memmove(&lf->score[j], &lf->score[j + 1], (size_t)k * sizeof(double));
        memmove(&lf->member[j], &lf->member[j + 1], (size_t)k * sizeof(PyObject *));
    }
    lf->n--;
    return m;
}

/* Put child x (count c, separator (s, m), reference given) at position i >= 1
 * of an inner node with room. */
static inline void
inner_put(inner *in, int i, void *x, Py_ssize_t c, double s, PyObject *m)
{
    int k = in->n - i;
    if (k > 0) {
        memmove(&in->child[i + 1], &in->child[i], (size_t)k * sizeof(void *));
        memmove(&in->count[i + 1], &in->count[i], (size_t)k * sizeof(Py_ssize_t));
        memmove(&in->score[i + 1], &in->score[i], (size_t)k * sizeof(double));
        memmove(&in->member[i + 1], &in->member[i], (size_t)k * sizeof(PyObject *));
    }
    in->child[i] = x;
    in->count[i] = c;
    in->score[i] = s;
    in->member[i] = m;
    in->n++;
}

/* Remove child i >= 1 of an inner node; its separator's reference is
 * returned to the caller. */
static inline PyObject *
inner_take(inner *in, int i)
{
    PyObject *m = in->member[i];
    int k = in->n - i - 1;
    if (k > 0) {
        memmove(&in->child[i], &in->child[i + 1], (size_t)k * sizeof(void *));
        memmove(&in->count[i], &in->count[i + 1], (size_t)k * sizeof(Py_ssize_t));
        memmove(&in->score[i], &in->score[i + 1], (size_t)k * sizeof(double));
        memmove(&in->member[i], &in->member[i + 1], (size_t)k * sizeof(PyObject *));
    }
    in->n--;
    return m;
}

/* ------------------------------------------------------------------------ */
/* Descent */

/* Ask for the lines a search of node x (at height h) will read, all at once:
 * the binary search then waits for one memory latency instead of one per
 * step. */
static inline void
prefetch_node(const void *x, int h)
{
    const char *a, *b;
    size_t len;
    if (h == 0) {
        a = (const char *)x;
        b = (const char *)((const leaf *)x)->score;
        len = sizeof(((const leaf *)x)->score);
    }
    else {
        a = (const char *)x;
        b = (const char *)((const inner *)x)->score;
        len = sizeof(((const inner *)x)->score);
    }
    __builtin_prefetch(a);
    for (size_t off = 0; off < len; off += 64)
        __builtin_prefetch(b + off);
}

typedef struct {
    inner *node[MAXH]; /* node[0] is the root (when height > 0) */
    int idx[MAXH];
} path;

/* Elements that sort before the probe (or not after it, if inclusive). */
static Py_ssize_t
zi_count(ZIndex *zi, const probe *p, int inclusive)
{
    void *x = zi->root;
    Py_ssize_t rank = 0;
    for (int h = zi->height; h > 0; h--) {
        inner *in = x;
        int c = inner_child(in, p, inclusive);
        for (int i = 0; i < c; i++)
            rank += in->count[i];
        x = in->child[c];
        prefetch_node(x, h - 1);
    }
    return rank + leaf_pos(x, p, inclusive);
}

/* The leaf where (score, member) is or would go, with the path to it. */
static leaf *
descend(ZIndex *zi, const probe *p, path *pt)
{
    void *x = zi->root;
    for (int k = 0; k < zi->height; k++) {
        inner *in = x;
        int c = inner_child(in, p, 1);
        pt->node[k] = in;
        pt->idx[k] = c;
        x = in->child[c];
        prefetch_node(x, zi->height - 1 - k);
    }
    return x;
}

/* The leaf holding the element of 0-based rank ``index`` (in range), with
 * the path to it; *pos its place in the leaf. */
static leaf *
descend_rank(ZIndex *zi, Py_ssize_t index, path *pt, int *pos)
{
    void *x = zi->root;
    for (int k = 0; k < zi->height; k++) {
        inner *in = x;
        int c = 0;
        while (c < in->n - 1 && index >= in->count[c]) {
            index -= in->count[c];
            c++;
        }
        if (pt != NULL) {
            pt->node[k] = in;
            pt->idx[k] = c;
        }
        x = in->child[c];
    }
    *pos = (int)index;
    return x;
}

static cursor
zi_at(ZIndex *zi, Py_ssize_t index)
{
    cursor cu;
    cu.lf = descend_rank(zi, index, NULL, &cu.pos);
    return cu;
}

/* ------------------------------------------------------------------------ */
/* Insertion */

/* Insert (score, member) at position j of the leaf lf reached by pt.  Nodes
 * a split needs are allocated first, so a MemoryError changes nothing. */
static int
insert_at(ZIndex *zi, path *pt, leaf *lf, int j, double score, PyObject *member)
{
    int H = zi->height, k, need = 0;
    leaf *spare_leaf = NULL;
    inner *spare[MAXH + 1];
    int nspare = 0;
    void *right = NULL; /* a new right sibling to hang next to the child below */
    double rs = 0.0;
    PyObject *rm = NULL;
    Py_ssize_t rc = 0;

    if (lf->n < LCAP) {
        leaf_put(lf, j, score, member);
        for (k = 0; k < H; k++)
            pt->node[k]->count[pt->idx[k]]++;
        zi->length++;
        zi->version++;
        return 0;
    }
    /* Full leaf: count the full inner nodes above it that will split too. */
    for (k = H - 1; k >= 0 && pt->node[k]->n == ICAP; k--)
        need++;
    if (k < 0)
        need++; /* a new root */
    spare_leaf = leaf_new(zi);
    if (spare_leaf == NULL)
        goto nomem;
    for (nspare = 0; nspare < need; nspare++) {
        spare[nspare] = inner_new(zi);
        if (spare[nspare] == NULL)
            goto nomem;
    }

    /* Split the leaf: half and half, except that appending past the last
     * leaf starts a new leaf (sorted loads fill their leaves). */
    {
        leaf *r = spare_leaf;
        int sp = (j == LCAP && lf->next == NULL) ? LCAP : LCAP / 2;
        r->n = LCAP - sp;
        memcpy(r->score, &lf->score[sp], (size_t)r->n * sizeof(double));
        memcpy(r->member, &lf->member[sp], (size_t)r->n * sizeof(PyObject *));
        lf->n = sp;
        r->prev = lf;
        r->next = lf->next;
        if (lf->next != NULL)
            lf->next->prev = r;
        else
            zi->tail = r;
        lf->next = r;
        if (j <= sp && sp < LCAP)
            leaf_put(lf, j, score, member);
        else
            leaf_put(r, j - sp, score, member);
        right = r;
        rs = r->score[0];
        rm = r->member[0];
        Py_INCREF(rm);
        rc = r->n;
    }
    for (k = H - 1; k >= 0; k--) {
        inner *in = pt->node[k];
        int c = pt->idx[k];
        if (right == NULL) {
            in->count[c]++;
            continue;
        }
        /* child c split into child c and ``right`` */
        in->count[c] = node_size(in->child[c], H - 1 - k);
        if (in->n < ICAP) {
            inner_put(in, c + 1, right, rc, rs, rm);
            right = NULL;
            continue;
        }
        {
            /* split in half (always: a node made by an uneven split could be
             * left with one child, and every leaf needs a sibling for the
             * delete-side rebalancing) */
            inner *r = spare[--nspare];
            int sp = ICAP / 2, moved = ICAP - sp;
            double ns;
            PyObject *nm;
            Py_ssize_t total = 0;
            memcpy(r->child, &in->child[sp], (size_t)moved * sizeof(void *));
            memcpy(r->count, &in->count[sp], (size_t)moved * sizeof(Py_ssize_t));
            memcpy(r->score, &in->score[sp], (size_t)moved * sizeof(double));
            memcpy(r->member, &in->member[sp], (size_t)moved * sizeof(PyObject *));
            /* r's first separator goes up a level */
            ns = r->score[0];
            nm = r->member[0];
            r->member[0] = NULL;
            r->n = moved;
            in->n = sp;
            if (c + 1 <= sp)
                inner_put(in, c + 1, right, rc, rs, rm);
            else
                inner_put(r, c + 1 - sp, right, rc, rs, rm);
            for (int q = 0; q < r->n; q++)
                total += r->count[q];
            right = r;
            rs = ns;
            rm = nm;
            rc = total;
        }
    }
    if (right != NULL) {
        inner *root = spare[--nspare];
        root->n = 2;
        root->child[0] = zi->root;
        root->count[0] = node_size(zi->root, H);
        root->member[0] = NULL;
        root->child[1] = right;
        root->count[1] = rc;
        root->score[1] = rs;
        root->member[1] = rm;
        zi->root = root;
        zi->height++;
    }
    zi->length++;
    zi->version++;
    return 0;

nomem:
    while (nspare > 0)
        inner_free(zi, spare[--nspare]);
    if (spare_leaf != NULL)
        leaf_free(zi, spare_leaf);
    PyErr_NoMemory();
    return -1;
}

static int
zi_insert(ZIndex *zi, double score, PyObject *member)
{
    path pt;
    probe p;
    probe_of(&p, score, member);
    leaf *lf = descend(zi, &p, &pt);
    return insert_at(zi, &pt, lf, leaf_pos(lf, &p, 0), score, member);
}

/* Append an element known to sort after every other (sorted loads). */
static int
zi_append(ZIndex *zi, double score, PyObject *member)
{
    path pt;
    void *x = zi->root;
    for (int k = 0; k < zi->height; k++) {
        inner *in = x;
        pt.node[k] = in;
        pt.idx[k] = in->n - 1;
        x = in->child[in->n - 1];
    }
    return insert_at(zi, &pt, x, ((leaf *)x)->n, score, member);
}

/* ------------------------------------------------------------------------ */
/* Deletion */

/* Child c of ``in`` (at height h) is underfull: borrow from a sibling or
 * merge with it.  in->count stays exact. */
static void
rebalance(ZIndex *zi, inner *in, int c, int h)
{
    int l = c > 0 ? c - 1 : c, r = l + 1; /* the pair to even out: l, r = l + 1 */
    if (r >= in->n)
        return; /* an only child: the parent is underfull too, fixed a level up */
    if (h == 0) {
        leaf *L = in->child[l], *R = in->child[r];
        int total = L->n + R->n;
        if (total <= LCAP - LMIN) {
            /* merge R into L */
            memcpy(&L->score[L->n], R->score, (size_t)R->n * sizeof(double));
            memcpy(&L->member[L->n], R->member, (size_t)R->n * sizeof(PyObject *));
            L->n = total;
            L->next = R->next;
            if (R->next != NULL)
                R->next->prev = L;
            else
                zi->tail = L;
            in->count[l] = total;
            Py_DECREF(inner_take(in, r)); /* a bytes object: frees no Python code */
            leaf_free(zi, R);
            return;
        }
        int want = total / 2; /* L's new size */
        if (L->n > want) {
            int m = L->n - want;
            memmove(&R->score[m], R->score, (size_t)R->n * sizeof(double));
            memmove(&R->member[m], R->member, (size_t)R->n * sizeof(PyObject *));
            memcpy(R->score, &L->score[want], (size_t)m * sizeof(double));
            memcpy(R->member, &L->member[want], (size_t)m * sizeof(PyObject *));
        }
        else {
            int m = want - L->n;
            memcpy(&L->score[L->n], R->score, (size_t)m * sizeof(double));
            memcpy(&L->member[L->n], R->member, (size_t)m * sizeof(PyObject *));
            memmove(R->score, &R->score[m], (size_t)(R->n - m) * sizeof(double));
            memmove(R->member, &R->member[m], (size_t)(R->n - m) * sizeof(PyObject *));
        }
        L->n = want;
        R->n = total - want;
        in->count[l] = L->n;
        in->count[r] = R->n;
        /* R's separator: its new first element */
        PyObject *old = in->member[r];
        in->score[r] = R->score[0];
        in->member[r] = R->member[0];
        Py_INCREF(in->member[r]);
        Py_DECREF(old);
        return;
    }
    inner *L = in->child[l], *R = in->child[r];
    int total = L->n + R->n;
    if (total <= ICAP - IMIN) {
        /* merge R into L; R's separator becomes that of its first child */
        L->child[L->n] = R->child[0];
        L->count[L->n] = R->count[0];
        L->score[L->n] = in->score[r];
        L->member[L->n] = in->member[r];
        for (int q = 1; q < R->n; q++) {
            L->child[L->n + q] = R->child[q];
            L->count[L->n + q] = R->count[q];
            L->score[L->n + q] = R->score[q];
            L->member[L->n + q] = R->member[q];
        }
        L->n = total;
        in->count[l] += in->count[r];
        (void)inner_take(in, r); /* its separator now belongs to L */
        inner_free(zi, R);
        return;
    }
    int want = total / 2;
    while (L->n > want) {
        /* L's last child becomes R's first, the separators rotating through
         * the parent */
        int q = L->n - 1;
        Py_ssize_t cnt = L->count[q];
        memmove(&R->child[1], R->child, (size_t)R->n * sizeof(void *));
        memmove(&R->count[1], R->count, (size_t)R->n * sizeof(Py_ssize_t));
        memmove(&R->score[1], R->score, (size_t)R->n * sizeof(double));
        memmove(&R->member[1], R->member, (size_t)R->n * sizeof(PyObject *));
        R->child[0] = L->child[q];
        R->count[0] = cnt;
        R->member[0] = NULL;
        R->score[1] = in->score[r];
        R->member[1] = in->member[r];
        in->score[r] = L->score[q];
        in->member[r] = L->member[q];
        R->n++;
        L->n--;
        in->count[l] -= cnt;
        in->count[r] += cnt;
    }
    while (L->n < want) {
        /* R's first child becomes L's last */
        Py_ssize_t cnt = R->count[0];
        L->child[L->n] = R->child[0];
        L->count[L->n] = cnt;
        L->score[L->n] = in->score[r];
        L->member[L->n] = in->member[r];
        L->n++;
        in->score[r] = R->score[1];
        in->member[r] = R->member[1];
        memmove(R->child, &R->child[1], (size_t)(R->n - 1) * sizeof(void *));
        memmove(R->count, &R->count[1], (size_t)(R->n - 1) * sizeof(Py_ssize_t));
        memmove(&R->score[1], &R->score[2], (size_t)(R->n - 2) * sizeof(double));
        memmove(&R->member[1], &R->member[2], (size_t)(R->n - 2) * sizeof(PyObject *));
        R->member[0] = NULL;
        R->n--;
        in->count[l] += cnt;
        in->count[r] -= cnt;
    }
}

/* Remove entry j of leaf lf reached by pt; returns the member's reference
 * (the caller drops it once the tree is consistent again).  *reshaped says
 * whether nodes were rebalanced (paths and positions taken before are then
 * stale); it stays 0 when the leaf keeps LMIN entries. */
static PyObject *
delete_at(ZIndex *zi, path *pt, leaf *lf, int j, int *reshaped)
{
    int H = zi->height;
    PyObject *m = leaf_take(lf, j);
    for (int k = 0; k < H; k++)
        pt->node[k]->count[pt->idx[k]]--;
    if (reshaped != NULL)
        *reshaped = H > 0 && lf->n < LMIN;
    for (int k = H - 1; k >= 0; k--) {
        int h = H - 1 - k; /* height of the child */
        if (node_n(pt->node[k]->child[pt->idx[k]], h) >= (h == 0 ? LMIN : IMIN))
            break;
        rebalance(zi, pt->node[k], pt->idx[k], h);
    }
    /* a root with one child steps down */
    while (zi->height > 0 && ((inner *)zi->root)->n == 1) {
        inner *old = zi->root;
        zi->root = old->child[0];
        zi->height--;
        inner_free(zi, old);
    }
    zi->length--;
    zi->version++;
    return m;
}

/* The leaf and position of (score, member), with the path; NULL if absent. */
static leaf *
zi_find(ZIndex *zi, double score, PyObject *member, path *pt, int *pos)
{
    probe p;
    probe_of(&p, score, member);
    leaf *lf = descend(zi, &p, pt);
    int j = leaf_pos(lf, &p, 0);
    if (!entry_is(lf, j, score, &p))
        return NULL;
    *pos = j;
    return lf;
}

static int
zi_delete(ZIndex *zi, double score, PyObject *member)
{
    path pt;
    int j;
    leaf *lf = zi_find(zi, score, member, &pt, &j);
    if (lf == NULL)
        return 0;
    Py_DECREF(delete_at(zi, &pt, lf, j, NULL));
    return 1;
}

/* zslUpdateScore: in place when the order allows it, else out and back in.
 * 1 moved, 0 absent, -1 MemoryError (nothing changed). */
static int
zi_move(ZIndex *zi, double old, double score, PyObject *member)
{
    path pa, pb;
    probe p;
    int j, pos, reshaped;
    leaf *lf = zi_find(zi, old, member, &pa, &j), *to;
    PyObject *m;
    if (lf == NULL)
        return 0;
    probe_of(&p, score, member);
    /* the same key (the sign of a zero may differ), or both neighbours in
     * this leaf around the new key: no order or separator can change */
    if (score == old
        || (j > 0 && j + 1 < lf->n && precedes(lf->score[j - 1], lf->member[j - 1], &p, 0)
            && !precedes(lf->score[j + 1], lf->member[j + 1], &p, 1))) {
        lf->score[j] = score;
        zi->version++;
        return 1;
    }
    to = descend(zi, &p, &pb);
    pos = leaf_pos(to, &p, 0);
    if (to->n == LCAP) {
        /* The new place needs a split, which may fail: insert first (a
         * failure changes nothing), then take the old entry out. */
        if (insert_at(zi, &pb, to, pos, score, member) < 0)
            return -1;
        lf = zi_find(zi, old, member, &pa, &j);
        Py_DECREF(delete_at(zi, &pa, lf, j, NULL));
        return 1;
    }
    /* Out, then in: a leaf with room keeps room after a delete (rebalanced
     * leaves end up at most LCAP - LMIN full), so the insert cannot fail. */
    m = delete_at(zi, &pa, lf, j, &reshaped);
    if (reshaped) {
        to = descend(zi, &p, &pb);
        pos = leaf_pos(to, &p, 0);
    }
    else if (to == lf && j < pos) {
        pos--;
    }
    insert_at(zi, &pb, to, pos, score, member);
    Py_DECREF(m);
    return 1;
}

/* Remove the elements of [start, stop) (0-based, in range). */
static void
zi_delete_range(ZIndex *zi, Py_ssize_t start, Py_ssize_t stop)
{
    path pt;
    int j;
    for (Py_ssize_t n = stop - start; n > 0; n--) {
        leaf *lf = descend_rank(zi, start, &pt, &j);
        Py_DECREF(delete_at(zi, &pt, lf, j, NULL));
    }
}

static void
free_subtree(ZIndex *zi, void *x, int h)
{
    if (h == 0) {
        leaf *lf = x;
        for (int j = 0; j < lf->n; j++)
            Py_DECREF(lf->member[j]);
        leaf_free(zi, lf);
        return;
    }
    inner *in = x;
    for (int i = 0; i < in->n; i++) {
        free_subtree(zi, in->child[i], h - 1);
        Py_XDECREF(in->member[i]);
    }
    inner_free(zi, in);
}

/* Empty the index; 0, or -1 (MemoryError, nothing changed). */
static int
zi_clear(ZIndex *zi)
{
    leaf *fresh = leaf_new(zi);
    if (fresh == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    void *old = zi->root;
    int h = zi->height;
    zi->root = fresh;
    zi->head = zi->tail = fresh;
    zi->height = 0;
    zi->length = 0;
    zi->version++;
    if (old != NULL)
        free_subtree(zi, old, h);
    return 0;
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
entry_tuple(cursor cu)
{
    PyObject *m = cu.lf->member[cu.pos], *s, *t;
    double score = cu.lf->score[cu.pos];
    Py_INCREF(m);
    s = PyFloat_FromDouble(score);
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

static inline void
cursor_next(cursor *cu)
{
    if (++cu->pos >= cu->lf->n) {
        cu->lf = cu->lf->next;
        cu->pos = 0;
    }
}

static inline void
cursor_prev(cursor *cu)
{
    if (--cu->pos < 0) {
        cu->lf = cu->lf->prev;
        cu->pos = cu->lf != NULL ? cu->lf->n - 1 : 0;
    }
}

static PyObject *
mutated_error(void)
{
    PyErr_SetString(PyExc_RuntimeError, "ZIndex changed during iteration");
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Iterator */

static PyObject *
iter_new(ZIndex *zi, cursor start, Py_ssize_t count, int reverse)
{
    ZIndexIter *it = PyObject_New(ZIndexIter, &ZIndexIter_Type);
    if (it == NULL)
        return NULL;
    Py_INCREF(zi);
    it->zi = zi;
    it->at = start;
    if (count <= 0)
        it->at.lf = NULL;
    it->remaining = count > 0 ? count : 0;
    it->version = zi->version;
    it->reverse = reverse;
    return (PyObject *)it;
}

static void
iter_dealloc(ZIndexIter *it)
{
    Py_DECREF(it->zi);
    PyObject_Free(it);
}

static PyObject *
iter_next(ZIndexIter *it)
{
    cursor cu = it->at;
    if (it->remaining <= 0 || cu.lf == NULL)
        return NULL;
    if (it->version != it->zi->version) {
        it->remaining = 0;
        it->at.lf = NULL;
        return mutated_error();
    }
    if (--it->remaining > 0) {
        if (it->reverse)
            cursor_prev(&it->at);
        else
            cursor_next(&it->at);
    }
    else {
        it->at.lf = NULL;
    }
    return entry_tuple(cu);
}

static PyObject *
iter_length_hint(ZIndexIter *it, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSsize_t(it->at.lf != NULL ? it->remaining : 0);
}

static PyMethodDef iter_methods[] = {
    {"__length_hint__", (PyCFunction)iter_length_hint, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ZIndexIter_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "redkeep._zindex.ZIndexIterator",
    .tp_basicsize = sizeof(ZIndexIter),
    .tp_dealloc = (destructor)iter_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)iter_next,
    .tp_methods = iter_methods,
};

/* ------------------------------------------------------------------------ */
/* ZIndex: construction */

static PyObject *
zi_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    ZIndex *zi = (ZIndex *)type->tp_alloc(type, 0);
    if (zi == NULL)
        return NULL;
    zi->root = NULL;
    zi->height = 0;
    zi->length = 0;
    zi->nleaves = zi->ninner = 0;
    zi->version = 0;
    if (zi_clear(zi) < 0) {
        Py_DECREF(zi);
        return NULL;
    }
    return (PyObject *)zi;
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

/* Fill an empty index from an iterable of (score, member): sort (unless
 * already sorted, the usual case) then append in O(n).  Duplicates are
 * kept, as SortedList keeps them. */
static int
zi_fill(ZIndex *zi, PyObject *iterable)
{
    PyObject *seq = PySequence_Fast(iterable, "ZIndex() argument must be iterable");
    entry *es = NULL;
    Py_ssize_t n, i;
    int sorted = 1, rc = -1;

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
    for (i = 0; i < n; i++)
        if (zi_append(zi, es[i].score, es[i].member) < 0)
            goto done;
    rc = 0;
done:
    PyMem_Free(es);
    Py_DECREF(seq);
    return rc;
}

static int
zi_init(ZIndex *zi, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"iterable", NULL};
    PyObject *iterable = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:ZIndex", kwlist, &iterable))
        return -1;
    if (zi->length && zi_clear(zi) < 0)
        return -1;
    if (iterable == Py_None)
        return 0;
    return zi_fill(zi, iterable);
}

static void
zi_dealloc(ZIndex *zi)
{
    if (zi->root != NULL)
        free_subtree(zi, zi->root, zi->height);
    Py_TYPE(zi)->tp_free((PyObject *)zi);
}

/* ------------------------------------------------------------------------ */
/* ZIndex: the hot-path methods (no tuples) */

PyDoc_STRVAR(insert_doc,
"insert(score, member)\n--\n\n"
"Add (score, member); the caller knows it is absent.");

static PyObject *
zix_insert(ZIndex *zi, PyObject *const *args, Py_ssize_t nargs)
{
    double score;
    if (check_nargs("insert", nargs, 2) < 0 || to_score(args[0], &score) < 0 || check_member(args[1]) < 0)
        return NULL;
    if (zi_insert(zi, score, args[1]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(delete_doc,
"delete(score, member) -> bool\n--\n\n"
"Remove (score, member): True if it was there, False (nothing changed) if not.");

static PyObject *
zix_delete(ZIndex *zi, PyObject *const *args, Py_ssize_t nargs)
{
    double score;
    if (check_nargs("delete", nargs, 2) < 0 || to_score(args[0], &score) < 0 || check_member(args[1]) < 0)
        return NULL;
    return PyBool_FromLong(zi_delete(zi, score, args[1]));
}

PyDoc_STRVAR(move_doc,
"move(old_score, new_score, member) -> bool\n--\n\n"
"Give member a new score (zslUpdateScore): True if (old_score, member) was\n"
"there, False (nothing changed) if not.");

static PyObject *
zix_move(ZIndex *zi, PyObject *const *args, Py_ssize_t nargs)
{
    double old, score;
    int rc;
    if (check_nargs("move", nargs, 3) < 0 || to_score(args[0], &old) < 0 || to_score(args[1], &score) < 0
        || check_member(args[2]) < 0)
        return NULL;
    rc = zi_move(zi, old, score, args[2]);
    if (rc < 0)
        return NULL;
    return PyBool_FromLong(rc);
}

PyDoc_STRVAR(rank_doc,
"rank(score, member) -> int\n--\n\n"
"How many elements sort before (score, member): its 0-based rank when\n"
"present (the same as bisect_left((score, member))).");

static PyObject *
zix_rank(ZIndex *zi, PyObject *const *args, Py_ssize_t nargs)
{
    double score;
    probe p;
    if (check_nargs("rank", nargs, 2) < 0 || to_score(args[0], &score) < 0 || check_member(args[1]) < 0)
        return NULL;
    probe_of(&p, score, args[1]);
    return PyLong_FromSsize_t(zi_count(zi, &p, 0));
}

/* ------------------------------------------------------------------------ */
/* ZIndex: the SortedList subset */

static PyObject *
zix_add(ZIndex *zi, PyObject *item)
{
    double score;
    PyObject *member;
    if (parse_item(item, &score, &member) < 0 || zi_insert(zi, score, member) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
zix_remove(ZIndex *zi, PyObject *item)
{
    double score;
    PyObject *member;
    if (parse_item(item, &score, &member) < 0)
        return NULL;
    if (!zi_delete(zi, score, member)) {
        PyErr_Format(PyExc_ValueError, "%R not in list", item);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
zix_bisect_left(ZIndex *zi, PyObject *item)
{
    probe p;
    if (parse_probe(item, &p) < 0)
        return NULL;
    return PyLong_FromSsize_t(zi_count(zi, &p, 0));
}

static PyObject *
zix_bisect_right(ZIndex *zi, PyObject *item)
{
    probe p;
    if (parse_probe(item, &p) < 0)
        return NULL;
    return PyLong_FromSsize_t(zi_count(zi, &p, 1));
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
zix_islice(ZIndex *zi, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"start", "stop", "reverse", NULL};
    PyObject *ostart = Py_None, *ostop = Py_None;
    int reverse = 0;
    Py_ssize_t start, stop, count;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOp:islice", kwlist, &ostart, &ostop, &reverse))
        return NULL;
    if (index_arg(ostart, 0, &start) < 0 || index_arg(ostop, zi->length, &stop) < 0)
        return NULL;
    clamp_range(zi->length, &start, &stop);
    count = stop - start;
    if (count <= 0) {
        cursor none = {NULL, 0};
        return iter_new(zi, none, 0, reverse);
    }
    return iter_new(zi, zi_at(zi, reverse ? stop - 1 : start), count, reverse);
}

static PyObject *
zix_iter(ZIndex *zi)
{
    cursor first = {zi->head, 0};
    return iter_new(zi, first, zi->length, 0);
}

static PyObject *
zix_reversed(ZIndex *zi, PyObject *Py_UNUSED(ignored))
{
    cursor last = {zi->tail, zi->tail->n - 1};
    return iter_new(zi, last, zi->length, 1);
}

static PyObject *
zix_clear_meth(ZIndex *zi, PyObject *Py_UNUSED(ignored))
{
    if (zi_clear(zi) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
zix_copy(ZIndex *zi, PyObject *Py_UNUSED(ignored))
{
    ZIndex *n = (ZIndex *)zi_new(Py_TYPE(zi), NULL, NULL);
    if (n == NULL)
        return NULL;
    for (leaf *lf = zi->head; lf != NULL; lf = lf->next) {
        for (int j = 0; j < lf->n; j++) {
            if (zi_append(n, lf->score[j], lf->member[j]) < 0) {
                Py_DECREF(n);
                return NULL;
            }
        }
    }
    return (PyObject *)n;
}

static PyObject *
zix_reduce(ZIndex *zi, PyObject *Py_UNUSED(ignored))
{
    PyObject *items = PySequence_List((PyObject *)zi);
    if (items == NULL)
        return NULL;
    return Py_BuildValue("O(N)", (PyObject *)Py_TYPE(zi), items);
}

static PyObject *
zix_sizeof(ZIndex *zi, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromSsize_t(Py_TYPE(zi)->tp_basicsize + zi->nleaves * (Py_ssize_t)sizeof(leaf)
                              + zi->ninner * (Py_ssize_t)sizeof(inner));
}

static PyObject *check_error(const char *what, Py_ssize_t at);

/* One subtree: elements under it (-1 on a broken invariant, with the error
 * set).  *prev: the leaf before it in
 * order, advanced over its leaves. */
static Py_ssize_t
check_node(ZIndex *zi, void *x, int h, int is_root, leaf **prev, Py_ssize_t *seen)
{
    if (h == 0) {
        leaf *lf = x;
        if (lf->prev != *prev || (*prev != NULL && (*prev)->next != lf) || (*prev == NULL && zi->head != lf))
            return check_error("bad leaf chain at element", *seen), -1;
        if (lf->n < 0 || lf->n > LCAP || (!is_root && lf->n == 0))
            return check_error("bad leaf size at element", *seen), -1;
        for (int j = 0; j < lf->n; j++) {
            probe p;
            if (!PyBytes_CheckExact(lf->member[j]) || isnan(lf->score[j]))
                return check_error("bad entry at element", *seen + j), -1;
            probe_of(&p, lf->score[j], lf->member[j]);
            /* the previous entry in order must precede this one */
            if (j > 0 && !precedes(lf->score[j - 1], lf->member[j - 1], &p, 1))
                return check_error("out of order at element", *seen + j), -1;
            if (j == 0 && *prev != NULL && (*prev)->n > 0
                && !precedes((*prev)->score[(*prev)->n - 1], (*prev)->member[(*prev)->n - 1], &p, 1))
                return check_error("out of order across leaves at element", *seen), -1;
        }
        *prev = lf;
        *seen += lf->n;
        return lf->n;
    }
    inner *in = x;
    Py_ssize_t total = 0;
    if (in->n < (is_root ? 2 : 1) || in->n > ICAP || in->member[0] != NULL)
        return check_error("bad inner node at element", *seen), -1;
    for (int i = 0; i < in->n; i++) {
        Py_ssize_t before = *seen;
        if (i > 0) {
            /* max(child i-1) <= sep[i] <= min(child i) (< when the
             * elements are unique, as in a zset) */
            probe p;
            leaf *last = *prev;
            probe_of(&p, in->score[i], in->member[i]);
            if (last == NULL || last->n == 0
                || !precedes(last->score[last->n - 1], last->member[last->n - 1], &p, 1))
                return check_error("separator not above its left subtree at element", before), -1;
        }
        Py_ssize_t c = check_node(zi, in->child[i], h - 1, 0, prev, seen);
        if (c < 0)
            return -1;
        if (c != in->count[i])
            return check_error("bad subtree count at element", before), -1;
        if (i > 0) {
            /* the first leaf of child i: the one after the leaf that ended
             * child i - 1 */
            void *y = in->child[i];
            for (int k = h - 1; k > 0; k--)
                y = ((inner *)y)->child[0];
            leaf *first = y;
            probe p;
            probe_of(&p, first->score[0], first->member[0]);
            if (first->n == 0 || !precedes(in->score[i], in->member[i], &p, 1))
                return check_error("separator above its right subtree at element", before), -1;
        }
        total += c;
    }
    return total;
}

static PyObject *
check_error(const char *what, Py_ssize_t at)
{
    return PyErr_Format(PyExc_AssertionError, "%s %zd", what, at);
}

/* Structural self-check for the tests: see the invariants at the top. */
static PyObject *
zix_check(ZIndex *zi, PyObject *Py_UNUSED(ignored))
{
    leaf *prev = NULL;
    Py_ssize_t seen = 0;
    Py_ssize_t n = check_node(zi, zi->root, zi->height, 1, &prev, &seen);
    if (n < 0)
        return NULL;
    if (n != zi->length || zi->tail != prev || prev->next != NULL)
        return PyErr_Format(PyExc_AssertionError, "length %zd, counted %zd, or bad tail", zi->length, n);
    Py_RETURN_NONE;
}

static Py_ssize_t
zix_length(ZIndex *zi)
{
    return zi->length;
}

static int
zix_contains(ZIndex *zi, PyObject *item)
{
    path pt;
    int j;
    double score;
    PyObject *member;
    if (parse_item(item, &score, &member) < 0)
        return -1;
    return zi_find(zi, score, member, &pt, &j) != NULL;
}

static PyObject *
zix_subscript(ZIndex *zi, PyObject *key)
{
    Py_ssize_t len = zi->length;
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
        return entry_tuple(zi_at(zi, i));
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step, n, k, hop;
        uint64_t version = zi->version;
        PyObject *out, *t;
        cursor x;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0)
            return NULL;
        n = PySlice_AdjustIndices(len, &start, &stop, step);
        out = PyList_New(n);
        if (out == NULL || n == 0)
            return out;
        x = zi_at(zi, start);
        hop = step < 0 ? -step : step;
        for (k = 0; k < n; k++) {
            if (zi->version != version) {
                Py_DECREF(out);
                return mutated_error();
            }
            t = entry_tuple(x);
            if (t == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            PyList_SET_ITEM(out, k, t);
            if (k + 1 < n && zi->version == version) {
                for (Py_ssize_t h = 0; h < hop; h++)
                    if (step > 0)
                        cursor_next(&x);
                    else
                        cursor_prev(&x);
            }
        }
        return out;
    }
    PyErr_Format(PyExc_TypeError, "indices must be integers or slices, not %.200s", Py_TYPE(key)->tp_name);
    return NULL;
}

/* del zl[i] and del zl[a:b] (contiguous slices only). */
static int
zix_ass_subscript(ZIndex *zi, PyObject *key, PyObject *value)
{
    Py_ssize_t len = zi->length;
    if (value != NULL) {
        PyErr_SetString(PyExc_TypeError, "ZIndex does not support item assignment");
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
        zi_delete_range(zi, i, i + 1);
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
            zi_delete_range(zi, start, start + n);
            return 0;
        }
        if (step == -1) {
            zi_delete_range(zi, start - n + 1, start + 1);
            return 0;
        }
        PyErr_SetString(PyExc_ValueError, "ZIndex deletes contiguous slices only (step 1 or -1)");
        return -1;
    }
    PyErr_Format(PyExc_TypeError, "indices must be integers or slices, not %.200s", Py_TYPE(key)->tp_name);
    return -1;
}

static PyObject *
zix_repr(ZIndex *zi)
{
    PyObject *items = PySequence_List((PyObject *)zi), *r;
    if (items == NULL)
        return NULL;
    r = PyUnicode_FromFormat("%s(%R)", _PyType_Name(Py_TYPE(zi)), items);
    Py_DECREF(items);
    return r;
}

static PyMethodDef zix_methods[] = {
    {"insert", (PyCFunction)(void (*)(void))zix_insert, METH_FASTCALL, insert_doc},
    {"delete", (PyCFunction)(void (*)(void))zix_delete, METH_FASTCALL, delete_doc},
    {"move", (PyCFunction)(void (*)(void))zix_move, METH_FASTCALL, move_doc},
    {"rank", (PyCFunction)(void (*)(void))zix_rank, METH_FASTCALL, rank_doc},
    {"add", (PyCFunction)zix_add, METH_O, "add((score, member))"},
    {"remove", (PyCFunction)zix_remove, METH_O, "remove((score, member)); ValueError if absent"},
    {"bisect_left", (PyCFunction)zix_bisect_left, METH_O,
     "bisect_left(probe): elements < probe, a (score,) or (score, member) tuple"},
    {"bisect_right", (PyCFunction)zix_bisect_right, METH_O,
     "bisect_right(probe): elements <= probe, a (score,) or (score, member) tuple"},
    {"bisect", (PyCFunction)zix_bisect_right, METH_O, "bisect_right"},
    {"islice", (PyCFunction)(void (*)(void))zix_islice, METH_VARARGS | METH_KEYWORDS, islice_doc},
    {"clear", (PyCFunction)zix_clear_meth, METH_NOARGS, "remove every element"},
    {"copy", (PyCFunction)zix_copy, METH_NOARGS, "a shallow copy, in O(n)"},
    {"__copy__", (PyCFunction)zix_copy, METH_NOARGS, NULL},
    {"__reversed__", (PyCFunction)zix_reversed, METH_NOARGS, NULL},
    {"__reduce__", (PyCFunction)zix_reduce, METH_NOARGS, NULL},
    {"__sizeof__", (PyCFunction)zix_sizeof, METH_NOARGS, NULL},
    {"_check", (PyCFunction)zix_check, METH_NOARGS, "assert the structure's invariants (tests)"},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods zix_as_sequence = {
    .sq_length = (lenfunc)zix_length,
    .sq_contains = (objobjproc)zix_contains,
};

static PyMappingMethods zix_as_mapping = {
    .mp_length = (lenfunc)zix_length,
    .mp_subscript = (binaryfunc)zix_subscript,
    .mp_ass_subscript = (objobjargproc)zix_ass_subscript,
};

PyDoc_STRVAR(zix_doc,
"ZIndex(iterable=None)\n--\n\n"
"(score, member) pairs in ascending order, an order-statistic B+tree: O(log n)\n"
"insert/delete/move/rank/index, O(1) per element iteration either way.\n"
"Scores are floats (no NaN), members exact bytes.");

static PyTypeObject ZIndex_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "redkeep._zindex.ZIndex",
    .tp_basicsize = sizeof(ZIndex),
    .tp_dealloc = (destructor)zi_dealloc,
    .tp_repr = (reprfunc)zix_repr,
    .tp_as_sequence = &zix_as_sequence,
    .tp_as_mapping = &zix_as_mapping,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = zix_doc,
    .tp_iter = (getiterfunc)zix_iter,
    .tp_methods = zix_methods,
    .tp_init = (initproc)zi_init,
    .tp_new = zi_new,
};

/* ------------------------------------------------------------------------ */

static struct PyModuleDef zindex_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "redkeep._zindex",
    .m_doc = "The ordered index of redkeep's sorted sets (see _zindex.c).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__zindex(void)
{
    PyObject *m;

    if (PyType_Ready(&ZIndex_Type) < 0 || PyType_Ready(&ZIndexIter_Type) < 0)
        return NULL;
    m = PyModule_Create(&zindex_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ZIndex_Type);
    if (PyModule_AddObject(m, "ZIndex", (PyObject *)&ZIndex_Type) < 0) {
        Py_DECREF(&ZIndex_Type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
