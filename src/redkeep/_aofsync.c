/*
 * redkeep._aofsync: the group-commit writer of ``appendfsync always``.
 * Plays the part of Redis's beforeSleep write + fsync + client writes
 * (aof.c flushAppendOnlyFile, networking.c handleClientsWithPendingWrites),
 * but off the event loop.
 *
 * Why C: ``always`` is bounded by how soon the disk gets the next group
 * after an fsync returns.  A Python I/O thread needs the GIL to take the
 * next job and to start the write; the event loop holds the GIL while it
 * answers clients, so on a busy loop the disk sat idle ~200 us per group
 * waiting for the GIL (measured: 40% idle, 0.74x Redis).  These threads are
 * plain pthreads that never touch Python objects: the loop hands them copies
 * of the log data and of the replies that wait for it.
 *
 * Two threads, two jobs:
 *  - the syncer takes every job queued for the same file as one group,
 *    writes it and fdatasyncs it, one group at a time, and starts the next
 *    group the moment an fsync returns;
 *  - the replies held for the groups now durable are written to the
 *    clients' sockets, in the order they were held, while the syncer already
 *    waits for the next fsync: by the loop's thread at the end of its turn
 *    (``cede``), or by the sender thread when the loop is waiting for
 *    clients.
 * A group never waits for the replies of the group before it, and a fsync is
 * never shared with another one in flight (on ext4 a second fdatasync waits
 * for the first one's journal commit anyway).
 *
 * Scheduling, on the core the event loop runs on: both threads are
 * SCHED_BATCH, so waking them (a job submitted, an fsync returned) does not
 * preempt the loop in the middle of a client's command; instead the loop
 * cedes the CPU at the end of each turn (``cede``) when one of them has
 * something to do.  Measured with redis-benchmark SET -c 50 -P 1, server
 * and its threads on one core, alternating with real Redis: the previous
 * design (two workers that each fsynced and then sent their group's
 * replies) did 0.84-0.95x Redis in bench/bench_aof.py, 0.92x with random
 * keys (-r 100000, median of 11 per-round ratios); this one 0.91-0.98x
 * (median 0.96 over 7 runs) and 1.02x.  The old design left the core idle
 * 23% of the time (the loop had answered every client before a worker got
 * the CPU to start the fsync, so one fsync covered all 50 clients and
 * nothing else could run meanwhile); now the disk works while the loop
 * serves the other half of the clients, idle 1.5%: the core is the limit,
 * ~14.5 us per command against Redis's ~10 (which idles during its fsync).
 *
 * The loop learns what happened through ``poll``; the eventfd is written
 * only when the loop has something to do with it (an error, replies a full
 * socket gave back, replies it holds itself, ``want``), when everything is
 * done (the loop removes its reply gate then), or every 256 groups: under
 * load a group is acknowledged by its replies alone (measured +1% ops/s,
 * one eventfd write and read and a Python callback less per group).
 *
 * Writes stay in submission order.  ``durable`` is the highest generation
 * known to be on disk; ``acked`` (what the loop sees) the highest whose held
 * replies are also written.  A failed write or fsync is reported with its
 * errno and the bytes written; the caller decides (Redis exits).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_IOV 64
#define GROUP_MAX 1024
#define NOTIFY_EVERY 256 /* results kept before the loop is woken to take them */

typedef struct job {
    struct job *next;
    int fd;
    int sync;
    long long gen;
    long sleep_us; /* DEBUG aof-flush-sleep */
    size_t len;
    char data[];
} job;

typedef struct {
    long long gen;
    long long written;
} result;

/* A client reply held until the log data it may depend on is durable,
 * then written to the client's socket (a dup of it, owned by the caller)
 * by the worker whose fsync made it durable. */
typedef struct reply {
    struct reply *next;
    int fd;
    long long gen;
    size_t len;
    char data[];
} reply;

/* What a full socket did not take: handed back to the loop, which queues it
 * on the client's transport (order kept: the socket stays "diverted" until
 * then). */
typedef struct {
    int fd;
    size_t len;
    char *data;
} leftover;

typedef struct {
    PyObject_HEAD
    pthread_t syncer, sender;
    int nthreads;             /* threads started (0..2) */
    int started;
    pthread_mutex_t mu;       /* queue, results, counters */
    pthread_cond_t work_cv;   /* jobs arrived, or stop (the syncer) */
    pthread_cond_t send_cv;   /* replies became ready, or stop (the sender) */
    pthread_cond_t idle_cv;   /* a group or a burst of replies finished */
    job *head, *tail;
    int syncing;              /* the syncer has a group between taking and reporting it */
    int sending;              /* the sender is writing replies */
    int syncer_waiting;       /* the syncer sleeps on work_cv */
    int syncer_exited;        /* stopped: the sender sends what is durable, then ends too */
    int in_cede;              /* the loop is in cede(): it writes the replies ready when it resumes */
    int stop;
    int notify_fd;
    int notified;
    long long durable;        /* every job up to this generation is logged */
    int err_stage;            /* first failure: 1 write, 2 fsync */
    int err_no;
    result *res;              /* jobs written since the last poll, in order */
    size_t nres, capres;
    unsigned long long groups, jobs_done;
    /* replies (under mu, except the writes, which run under send_mu) */
    pthread_mutex_t send_mu;  /* one sender at a time: per-socket order */
    reply *rhead, *rtail;
    long long acked;          /* replies up to this generation are out */
    long long want;           /* wake the loop once acked reaches it (0: no) */
    long long npending;       /* replies queued or being written, plus leftovers */
    int *fdpend;              /* per fd: replies queued or being written */
    unsigned char *diverted;  /* per fd: a write came up short; the rest goes back to the loop */
    int fdcap;
    leftover *left;
    size_t nleft, capleft;
} Worker;

/* Write every job of the group (same fd) with writev, retrying short writes
 * and EINTR.  Returns bytes written; *err is set on failure. */
static long long write_group(job **g, int n, int *err) {
    struct iovec iov[MAX_IOV];
    long long total = 0;
    int i = 0;
    size_t off = 0; /* into g[i] */
    *err = 0;
    while (i < n) {
        while (i < n && g[i]->len == off) { /* nothing (left) to write */
            i++;
            off = 0;
        }
        if (i >= n) break;
        int k = 0;
        for (int j = i; j < n && k < MAX_IOV; j++, k++) {
            iov[k].iov_base = g[j]->data + (j == i ? off : 0);
            iov[k].iov_len = g[j]->len - (j == i ? off : 0);
        }
        ssize_t w = writev(g[i]->fd, iov, k);
        if (w < 0) {
            if (errno == EINTR) continue;
            *err = errno;
            return total;
        }
        if (w == 0) {
            *err = ENOSPC;
            return total;
        }
        total += w;
        size_t left = (size_t)w;
        while (i < n && left >= g[i]->len - off) {
            left -= g[i]->len - off;
            off = 0;
            i++;
        }
        off += left;
    }
    return total;
}

/* Room for one more element in a growable array (*arr, n used, *cap). */
static int reserve_one(void **arr, size_t n, size_t *cap, size_t elem, size_t first) {
    if (n < *cap) return 0;
    size_t c = *cap ? *cap * 2 : first;
    void *p = realloc(*arr, c * elem);
    if (p == NULL) return -1;
    *arr = p;
    *cap = c;
    return 0;
}

/* Under mu. */
static int push_result(Worker *self, long long gen, long long written) {
    if (reserve_one((void **)&self->res, self->nres, &self->capres, sizeof(result), 64) < 0) return -1;
    self->res[self->nres].gen = gen;
    self->res[self->nres].written = written;
    self->nres++;
    return 0;
}

/* Under mu. */
static void fail(Worker *self, int stage, int err) {
    if (!self->err_stage) {
        self->err_stage = stage;
        self->err_no = err;
    }
}

/* Under mu. */
static void notify(Worker *self) {
    if (!self->notified && self->notify_fd >= 0) {
        uint64_t one = 1;
        ssize_t r;
        self->notified = 1;
        do {
            r = write(self->notify_fd, &one, sizeof(one));
        } while (r < 0 && errno == EINTR);
    }
}


/* The per-fd tables cover fd; grown by the loop thread only, under send_mu
 * and mu (the senders read ``diverted`` under send_mu alone). */
static int grow_fd_tables(Worker *self, int fd) {
    if (fd < self->fdcap) return 0;
    int cap = self->fdcap ? self->fdcap : 64;
    while (cap <= fd) cap *= 2;
    pthread_mutex_lock(&self->send_mu);
    pthread_mutex_lock(&self->mu);
    int rc = 0;
    int *p = realloc(self->fdpend, (size_t)cap * sizeof(int));
    if (p == NULL) rc = -1;
    else {
        self->fdpend = p;
        unsigned char *d = realloc(self->diverted, (size_t)cap);
        if (d == NULL) rc = -1;
        else {
            self->diverted = d;
            memset(p + self->fdcap, 0, (size_t)(cap - self->fdcap) * sizeof(int));
            memset(d + self->fdcap, 0, (size_t)(cap - self->fdcap));
            self->fdcap = cap;
        }
    }
    pthread_mutex_unlock(&self->mu);
    pthread_mutex_unlock(&self->send_mu);
    return rc;
}

/* Under mu. */
static int push_leftover(Worker *self, int fd, const char *data, size_t len) {
    if (reserve_one((void **)&self->left, self->nleft, &self->capleft, sizeof(leftover), 16) < 0) return -1;
    char *copy = malloc(len ? len : 1);
    if (copy == NULL) return -1;
    memcpy(copy, data, len);
    self->left[self->nleft].fd = fd;
    self->left[self->nleft].len = len;
    self->left[self->nleft].data = copy;
    self->nleft++;
    self->npending++;
    return 0;
}

/* Write every held reply up to generation ``upto`` (now durable), in the
 * order they were held, as Redis writes its clients' buffers right after
 * the fsync in beforeSleep.  Why here and not on the loop: the replies go
 * out the moment the fsync returns, without waiting for the loop to wake
 * and without a Python call per reply (measured below, aof_writer.py).
 * A socket that does not take a whole reply is "diverted": the rest of it,
 * and of any later reply held for it, goes back to the loop (poll), which
 * queues it on the client's transport. */
static void send_ready(Worker *self, long long upto) {
    pthread_mutex_lock(&self->send_mu);
    pthread_mutex_lock(&self->mu);
    reply *list = NULL, **tailp = &list;
    while (self->rhead != NULL && self->rhead->gen <= upto) {
        reply *r = self->rhead;
        self->rhead = r->next;
        r->next = NULL;
        *tailp = r;
        tailp = &r->next;
    }
    if (self->rhead == NULL) self->rtail = NULL;
    pthread_mutex_unlock(&self->mu);

    for (reply *r = list; r != NULL; r = r->next) {
        size_t off = 0;
        if (!self->diverted[r->fd]) {
            while (off < r->len) {
                ssize_t w = send(r->fd, r->data + off, r->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w > 0) {
                    off += (size_t)w;
                    continue;
                }
                if (w < 0 && errno == EINTR) continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) self->diverted[r->fd] = 1;
                else off = r->len; /* the peer is gone: dropped, as the loop would */
                break;
            }
        }
        r->gen = (long long)off; /* reused: bytes taken by the socket */
    }

    pthread_mutex_lock(&self->mu);
    int gave_back = 0;
    reply *r = list;
    while (r != NULL) {
        reply *nx = r->next;
        size_t off = (size_t)r->gen;
        self->fdpend[r->fd]--;
        self->npending--;
        if (off < r->len) {
            if (push_leftover(self, r->fd, r->data + off, r->len - off) < 0 && !self->err_stage) fail(self, 1, ENOMEM);
            gave_back = 1;
        }
        free(r);
        r = nx;
    }
    if (upto > self->acked) __atomic_store_n(&self->acked, upto, __ATOMIC_RELEASE);
    if (gave_back) notify(self);
    pthread_mutex_unlock(&self->mu);
    pthread_mutex_unlock(&self->send_mu);
}

/* Under mu. */
static int replies_ready(Worker *self) {
    return self->rhead != NULL && self->rhead->gen <= self->durable && !self->err_stage;
}

/* Under mu: wake the loop only when it has something to do (see the top). */
static void maybe_notify(Worker *self) {
    if (self->err_stage || self->nleft || self->nres >= NOTIFY_EVERY
        || (self->want && self->acked >= self->want)
        || (self->head == NULL && !self->syncing && !self->sending && self->rhead == NULL)) {
        self->want = 0;
        notify(self);
    }
}

/* Under mu: acked catches up with durable once no durable reply waits. */
static void advance_acked(Worker *self) {
    if (!self->err_stage && !self->sending && !replies_ready(self) && self->durable > self->acked)
        __atomic_store_n(&self->acked, self->durable, __ATOMIC_RELEASE);
}

static void set_batch(void) {
    /* SCHED_BATCH: see the top.  Failure to set it changes nothing else. */
    struct sched_param sp = {0};
    (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
}

static void *syncer_main(void *arg) {
    Worker *self = (Worker *)arg;
    set_batch();
    job **g = malloc(GROUP_MAX * sizeof(job *));
    pthread_mutex_lock(&self->mu);
    if (g == NULL) {
        fail(self, 1, ENOMEM);
        notify(self);
        self->syncer_exited = 1;
        pthread_cond_signal(&self->send_cv);
        pthread_mutex_unlock(&self->mu);
        return NULL;
    }
    for (;;) {
        while (self->head == NULL && !self->stop) {
            self->syncer_waiting = 1;
            pthread_cond_wait(&self->work_cv, &self->mu);
            self->syncer_waiting = 0;
        }
        if (self->head == NULL && self->stop) break;
        /* The group: every queued job for the same file. */
        int n = 0;
        int fd = self->head->fd;
        int sync = 0;
        long sleep_us = 0;
        while (self->head != NULL && self->head->fd == fd && n < GROUP_MAX) {
            job *j = self->head;
            self->head = j->next;
            g[n++] = j;
            sync |= j->sync;
            if (j->sleep_us > sleep_us) sleep_us = j->sleep_us;
        }
        if (self->head == NULL) self->tail = NULL;
        self->syncing = 1;
        pthread_mutex_unlock(&self->mu);

        if (sleep_us > 0) {
            struct timespec ts = {sleep_us / 1000000, (sleep_us % 1000000) * 1000};
            nanosleep(&ts, NULL);
        }
        int err = 0;
        long long written = write_group(g, n, &err);
        int stage = err ? 1 : 0;
        if (!err && sync && fdatasync(fd) < 0) {
            err = errno;
            stage = 2;
        }
        long long covered = g[n - 1]->gen;

        pthread_mutex_lock(&self->mu);
        long long left = written;
        for (int i = 0; i < n; i++) {
            long long part = left < (long long)g[i]->len ? left : (long long)g[i]->len;
            left -= part;
            if (push_result(self, g[i]->gen, part) < 0 && !stage) {
                stage = 1;
                err = ENOMEM; /* cannot account for it: make the caller stop */
            }
            free(g[i]);
        }
        self->syncing = 0;
        if (stage) fail(self, stage, err);
        else if (covered > self->durable) self->durable = covered;
        /* The replies: if the loop gave us the core (cede), it writes them
         * itself when it gets it back, else the sender does. */
        if (replies_ready(self) && !self->in_cede) pthread_cond_signal(&self->send_cv);
        advance_acked(self);
        self->groups++;
        self->jobs_done += n;
        maybe_notify(self);
        pthread_cond_broadcast(&self->idle_cv);
    }
    self->syncer_exited = 1;
    pthread_cond_signal(&self->send_cv);
    pthread_mutex_unlock(&self->mu);
    free(g);
    return NULL;
}

/* Under mu, replies ready and nobody sending: write the replies durable
 * now (mu released meanwhile), then account for them.  Returns under mu.
 * The sender thread and the loop (cede) both send this way. */
static void send_durable(Worker *self) {
    long long upto = self->durable;
    self->sending = 1;
    pthread_mutex_unlock(&self->mu);
    send_ready(self, upto);
    pthread_mutex_lock(&self->mu);
    self->sending = 0;
    advance_acked(self);
    maybe_notify(self);
    pthread_cond_broadcast(&self->idle_cv);
}

static void *sender_main(void *arg) {
    Worker *self = (Worker *)arg;
    set_batch();
    pthread_mutex_lock(&self->mu);
    for (;;) {
        while (!replies_ready(self) && !(self->stop && self->syncer_exited))
            pthread_cond_wait(&self->send_cv, &self->mu);
        if (!replies_ready(self)) break; /* stopped, nothing left to send */
        send_durable(self);
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

static int Worker_init(Worker *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"notify_fd", NULL};
    int notify_fd;
    if (self->started) {
        PyErr_SetString(PyExc_RuntimeError, "SyncWorker already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "i", kwlist, &notify_fd)) return -1;
    self->notify_fd = notify_fd;
    pthread_mutex_init(&self->mu, NULL);
    pthread_mutex_init(&self->send_mu, NULL);
    pthread_cond_init(&self->work_cv, NULL);
    pthread_cond_init(&self->send_cv, NULL);
    pthread_cond_init(&self->idle_cv, NULL);
    self->started = 1;
    int rc = pthread_create(&self->syncer, NULL, syncer_main, self);
    if (rc == 0) {
        self->nthreads = 1;
        rc = pthread_create(&self->sender, NULL, sender_main, self);
        if (rc == 0) self->nthreads = 2;
    }
    if (rc != 0) {
        if (self->nthreads == 1) { /* the syncer alone would never send: stop it */
            pthread_mutex_lock(&self->mu);
            self->stop = 1;
            pthread_cond_broadcast(&self->work_cv);
            pthread_mutex_unlock(&self->mu);
            pthread_join(self->syncer, NULL);
            self->nthreads = 0;
        }
        self->started = 0;
        errno = rc;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return 0;
}

static void stop_thread(Worker *self) {
    if (!self->started) return;
    pthread_mutex_lock(&self->mu);
    self->stop = 1;
    pthread_cond_broadcast(&self->work_cv);
    pthread_cond_broadcast(&self->send_cv);
    pthread_mutex_unlock(&self->mu);
    Py_BEGIN_ALLOW_THREADS
    if (self->nthreads >= 1) pthread_join(self->syncer, NULL); /* runs what is queued first */
    if (self->nthreads >= 2) pthread_join(self->sender, NULL); /* then sends what became durable */
    Py_END_ALLOW_THREADS
    self->started = 0;
}

static void Worker_dealloc(Worker *self) {
    stop_thread(self);
    job *j = self->head;
    while (j) {
        job *nx = j->next;
        free(j);
        j = nx;
    }
    free(self->res);
    reply *r = self->rhead;
    while (r) {
        reply *nx = r->next;
        free(r);
        r = nx;
    }
    for (size_t i = 0; i < self->nleft; i++) free(self->left[i].data);
    free(self->left);
    free(self->fdpend);
    free(self->diverted);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Worker_submit(Worker *self, PyObject *args) {
    int fd, sync;
    long long gen;
    long sleep_us = 0;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "iy*Lp|l", &fd, &buf, &gen, &sync, &sleep_us)) return NULL;
    if (!self->started) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_RuntimeError, "SyncWorker is stopped");
        return NULL;
    }
    job *j = malloc(sizeof(job) + (size_t)buf.len);
    if (j == NULL) {
        PyBuffer_Release(&buf);
        return PyErr_NoMemory();
    }
    j->next = NULL;
    j->fd = fd;
    j->sync = sync;
    j->gen = gen;
    j->sleep_us = sleep_us;
    j->len = (size_t)buf.len;
    memcpy(j->data, buf.buf, (size_t)buf.len);
    PyBuffer_Release(&buf);
    pthread_mutex_lock(&self->mu);
    if (self->tail) self->tail->next = j;
    else self->head = j;
    self->tail = j;
    int wake = self->syncer_waiting;
    pthread_mutex_unlock(&self->mu);
    /* Signalled after the unlock: on a shared core the woken thread would
     * otherwise preempt us and block on the mutex we still hold. */
    if (wake) pthread_cond_signal(&self->work_cv);
    Py_RETURN_NONE;
}

/* Build [(fd, bytes)] from the leftovers; under send_mu and mu.  A socket
 * with nothing more held is no longer diverted: the loop queues these on its
 * transport, and whatever comes after follows them there. */
static PyObject *take_leftovers(Worker *self) {
    PyObject *lst = PyList_New((Py_ssize_t)self->nleft);
    if (lst == NULL) return NULL;
    for (size_t i = 0; i < self->nleft; i++) {
        leftover *l = &self->left[i];
        PyObject *t = Py_BuildValue("(iy#)", l->fd, l->data, (Py_ssize_t)l->len);
        if (t == NULL) {
            Py_DECREF(lst);
            return NULL;
        }
        PyList_SET_ITEM(lst, (Py_ssize_t)i, t);
    }
    for (size_t i = 0; i < self->nleft; i++) {
        leftover *l = &self->left[i];
        if (self->fdpend[l->fd] == 0) self->diverted[l->fd] = 0;
        free(l->data);
        self->npending--;
    }
    self->nleft = 0;
    return lst;
}

static PyObject *Worker_poll(Worker *self, PyObject *Py_UNUSED(ignored)) {
    pthread_mutex_lock(&self->mu);
    int have_send = 0;
    if (self->nleft) { /* rare: a full socket; send_mu first (lock order) */
        pthread_mutex_unlock(&self->mu);
        pthread_mutex_lock(&self->send_mu);
        pthread_mutex_lock(&self->mu);
        have_send = 1;
    }
    self->notified = 0;
    size_t n = self->nres;
    long long acked = self->acked;
    int stage = self->err_stage, err = self->err_no;
    PyObject *left = have_send ? take_leftovers(self) : PyList_New(0);
    result *copy = NULL;
    if (left != NULL && n) {
        copy = malloc(n * sizeof(result));
        if (copy == NULL) {
            Py_CLEAR(left);
            PyErr_NoMemory();
        } else {
            memcpy(copy, self->res, n * sizeof(result));
            self->nres = 0;
        }
    }
    pthread_mutex_unlock(&self->mu);
    if (have_send) pthread_mutex_unlock(&self->send_mu);
    if (left == NULL) return NULL;
    PyObject *written = PyList_New((Py_ssize_t)n);
    if (written == NULL) {
        free(copy);
        Py_DECREF(left);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        PyObject *t = Py_BuildValue("(LL)", copy[i].gen, copy[i].written);
        if (t == NULL) {
            Py_DECREF(written);
            Py_DECREF(left);
            free(copy);
            return NULL;
        }
        PyList_SET_ITEM(written, (Py_ssize_t)i, t);
    }
    free(copy);
    PyObject *error;
    if (stage) error = Py_BuildValue("(ii)", stage, err);
    else {
        error = Py_None;
        Py_INCREF(error);
    }
    if (error == NULL) {
        Py_DECREF(written);
        Py_DECREF(left);
        return NULL;
    }
    return Py_BuildValue("(LNNN)", acked, written, error, left);
}

/* hold(fd, data, gen) -> bool.  Queue a reply for socket ``fd`` until
 * generation ``gen`` is durable.  False when the caller may write it at
 * once: ``gen`` is durable and nothing is held for ``fd``. */
static PyObject *Worker_hold(Worker *self, PyObject *args) {
    int fd;
    long long gen;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "iy*L", &fd, &buf, &gen)) return NULL;
    if (fd < 0) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "bad fd");
        return NULL;
    }
    if (fd >= self->fdcap && grow_fd_tables(self, fd) < 0) {
        PyBuffer_Release(&buf);
        return PyErr_NoMemory();
    }
    pthread_mutex_lock(&self->mu);
    if (self->fdpend[fd] == 0 && !self->diverted[fd] && gen <= self->durable) {
        pthread_mutex_unlock(&self->mu);
        PyBuffer_Release(&buf);
        Py_RETURN_FALSE;
    }
    reply *r = malloc(sizeof(reply) + (size_t)buf.len);
    if (r == NULL) {
        pthread_mutex_unlock(&self->mu);
        PyBuffer_Release(&buf);
        return PyErr_NoMemory();
    }
    r->next = NULL;
    r->fd = fd;
    r->gen = gen;
    r->len = (size_t)buf.len;
    memcpy(r->data, buf.buf, (size_t)buf.len);
    PyBuffer_Release(&buf);
    if (self->rtail) self->rtail->next = r;
    else self->rhead = r;
    self->rtail = r;
    self->fdpend[fd]++;
    self->npending++;
    /* Durable already, but behind replies not yet written: the sender takes
     * it with them, in order. */
    if (gen <= self->durable) pthread_cond_signal(&self->send_cv);
    pthread_mutex_unlock(&self->mu);
    Py_RETURN_TRUE;
}

/* ack(gen): generation ``gen`` is durable by other means (the loop wrote and
 * fsynced it itself): send what waits for it. */
static PyObject *Worker_ack(Worker *self, PyObject *args) {
    long long gen;
    if (!PyArg_ParseTuple(args, "L", &gen)) return NULL;
    pthread_mutex_lock(&self->mu);
    if (gen > self->durable) self->durable = gen;
    long long upto = self->durable;
    pthread_mutex_unlock(&self->mu);
    send_ready(self, upto);
    Py_RETURN_NONE;
}

/* forget(fd): the client is gone; drop what is held for it and close fd
 * (the caller's dup of the socket, kept open until no sender can use it). */
static PyObject *Worker_forget(Worker *self, PyObject *args) {
    int fd;
    if (!PyArg_ParseTuple(args, "i", &fd)) return NULL;
    pthread_mutex_lock(&self->send_mu);
    pthread_mutex_lock(&self->mu);
    if (fd >= 0 && fd < self->fdcap) {
        reply **pp = &self->rhead, *prev = NULL;
        while (*pp != NULL) {
            reply *r = *pp;
            if (r->fd == fd) {
                *pp = r->next;
                self->npending--;
                free(r);
            } else {
                prev = r;
                pp = &r->next;
            }
        }
        self->rtail = prev;
        size_t k = 0;
        for (size_t i = 0; i < self->nleft; i++) {
            if (self->left[i].fd == fd) {
                free(self->left[i].data);
                self->npending--;
            } else self->left[k++] = self->left[i];
        }
        self->nleft = k;
        self->fdpend[fd] = 0;
        self->diverted[fd] = 0;
    }
    pthread_mutex_unlock(&self->mu);
    if (fd >= 0) close(fd);
    pthread_mutex_unlock(&self->send_mu);
    Py_RETURN_NONE;
}

static PyObject *Worker_drain(Worker *self, PyObject *Py_UNUSED(ignored)) {
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&self->mu);
    while (self->started && (self->head != NULL || self->syncing || self->sending || replies_ready(self)))
        pthread_cond_wait(&self->idle_cv, &self->mu);
    pthread_mutex_unlock(&self->mu);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

/* want(gen): the loop holds replies of its own up to gen: write the eventfd
 * once acked reaches it (at once if it has). */
static PyObject *Worker_want(Worker *self, PyObject *args) {
    long long gen;
    if (!PyArg_ParseTuple(args, "L", &gen)) return NULL;
    pthread_mutex_lock(&self->mu);
    if (self->acked >= gen) notify(self);
    else if (gen > self->want) self->want = gen;
    pthread_mutex_unlock(&self->mu);
    Py_RETURN_NONE;
}

/* cede(): called by the loop at the end of a turn.  The threads are
 * SCHED_BATCH and do not preempt the loop (see the top): if one of them has
 * work (a group to start, an fsync in progress that may have returned,
 * replies to write), give it the core now rather than when the loop next
 * waits for clients.  sched_yield costs ~1 us when nobody else is runnable.
 * Then the replies now durable are written here, on the loop's thread,
 * as Redis does after its fsync: no hand-over to the sender, whose wake-up
 * and sleep cost two context switches per group (measured: server CPU per
 * command -4.6%, 5 of 5 alternating rounds, redis-benchmark SET -c 50).
 * The sender remains for replies that become durable while the loop waits
 * for clients. */
static PyObject *Worker_cede(Worker *self, PyObject *Py_UNUSED(ignored)) {
    pthread_mutex_lock(&self->mu);
    int y = self->head != NULL || self->syncing || (replies_ready(self) && !self->sending);
    if (y) self->in_cede = 1;
    pthread_mutex_unlock(&self->mu);
    /* With the GIL held: the threads yielded to never take it, and a Python
     * thread (a snapshot being written) given it here would keep it for a
     * whole switch interval (5 ms) at every turn. */
    if (y) sched_yield();
    pthread_mutex_lock(&self->mu);
    self->in_cede = 0;
    if (replies_ready(self) && !self->sending) {
        send_durable(self);
        if (replies_ready(self)) pthread_cond_signal(&self->send_cv); /* became durable meanwhile */
    }
    pthread_mutex_unlock(&self->mu);
    Py_RETURN_NONE;
}

static PyObject *Worker_stop(Worker *self, PyObject *Py_UNUSED(ignored)) {
    stop_thread(self);
    Py_RETURN_NONE;
}

static PyObject *Worker_stats(Worker *self, PyObject *Py_UNUSED(ignored)) {
    pthread_mutex_lock(&self->mu);
    unsigned long long g = self->groups, j = self->jobs_done;
    pthread_mutex_unlock(&self->mu);
    return Py_BuildValue("(KK)", g, j);
}

/* Read without the mutex: the loop checks it after each client's batch to
 * acknowledge a finished group at once, not at its next eventfd wake-up. */
static PyObject *Worker_get_durable(Worker *self, void *Py_UNUSED(closure)) {
    return PyLong_FromLongLong(__atomic_load_n(&self->acked, __ATOMIC_ACQUIRE));
}

static PyObject *Worker_get_pending(Worker *self, void *Py_UNUSED(closure)) {
    pthread_mutex_lock(&self->mu);
    long long n = self->npending;
    pthread_mutex_unlock(&self->mu);
    return PyLong_FromLongLong(n);
}

static PyGetSetDef Worker_getset[] = {
    {"durable", (getter)Worker_get_durable, NULL,
     "the highest generation on disk whose held replies are written", NULL},
    {"pending", (getter)Worker_get_pending, NULL, "held replies not yet written or handed back", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef Worker_methods[] = {
    {"submit", (PyCFunction)Worker_submit, METH_VARARGS,
     "submit(fd, data, gen, sync, sleep_us=0): queue a write (+ fdatasync if sync)."},
    {"poll", (PyCFunction)Worker_poll, METH_NOARGS,
     "(durable_gen, [(gen, bytes_written) written since the last poll], None or (stage, errno), "
     "[(fd, bytes) a full socket did not take]); stage 1 is a failed write, 2 a failed fsync."},
    {"hold", (PyCFunction)Worker_hold, METH_VARARGS,
     "hold(fd, data, gen) -> bool: write data to socket fd once gen is durable; False: write it yourself."},
    {"ack", (PyCFunction)Worker_ack, METH_VARARGS, "ack(gen): gen is durable; send what waits for it."},
    {"forget", (PyCFunction)Worker_forget, METH_VARARGS, "forget(fd): drop what is held for fd and close it."},
    {"want", (PyCFunction)Worker_want, METH_VARARGS, "want(gen): write the eventfd once acked reaches gen."},
    {"cede", (PyCFunction)Worker_cede, METH_NOARGS,
     "End of a loop turn: let the threads run now if they have work, then write the replies now durable."},
    {"drain", (PyCFunction)Worker_drain, METH_NOARGS,
     "Block until every queued job has run and the replies it made durable are written."},
    {"stop", (PyCFunction)Worker_stop, METH_NOARGS, "Run what is queued, send what it makes durable, end the threads."},
    {"stats", (PyCFunction)Worker_stats, METH_NOARGS, "(groups, jobs) done so far."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject WorkerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "redkeep._aofsync.SyncWorker",
    .tp_basicsize = sizeof(Worker),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "SyncWorker(notify_fd): two pthreads that write and fdatasync AOF groups and write the replies "
              "waiting for them, without the GIL.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Worker_init,
    .tp_dealloc = (destructor)Worker_dealloc,
    .tp_methods = Worker_methods,
    .tp_getset = Worker_getset,
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "redkeep._aofsync", "Group commit for appendfsync always.", -1, NULL,
};

PyMODINIT_FUNC PyInit__aofsync(void) {
    if (PyType_Ready(&WorkerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) return NULL;
    Py_INCREF(&WorkerType);
    if (PyModule_AddObject(m, "SyncWorker", (PyObject *)&WorkerType) < 0) {
        Py_DECREF(&WorkerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
