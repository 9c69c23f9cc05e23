/*
 * Sensor driver thread: polls a Modbus meter (TCP or RTU, libmodbus) or the
 * simulated load at a fixed interval, reconnects with exponential backoff,
 * and posts each reading into a mutex-protected mailbox before waking the
 * owner. The api kind has no thread; the owner pushes into the mailbox.
 */
#include "dlm_sensor.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <modbus/modbus.h>

#define MAX_BLOCK_WORDS 125   /* Modbus limit for one read */

/* One read request covering one or more map registers. */
typedef struct block {
    uint8_t fc;
    uint16_t addr;
    uint16_t count;
} block;

struct dlm_sensor {
    dlm_sensor_opts o;
    pthread_t thread;
    bool has_thread;

    /* stop request: guarded by mu, signalled through cv */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;

    /* mailbox: guarded by mu */
    dlm_reading latest;
    bool has_reading;
    uint64_t seq;
    dlm_sensor_health health;

    /* driver thread only */
    modbus_t *mb;
    bool connected;
    block blocks[DLM_METER_MAX_REGS];
    int reg_block[DLM_METER_MAX_REGS];
    size_t nblocks;
    uint16_t words[DLM_METER_MAX_REGS][MAX_BLOCK_WORDS];
};

typedef struct kind_name {
    dlm_sensor_kind k;
    const char *name;
} kind_name;

static const kind_name kind_names[] = {
    { DLM_SENSOR_SIM, "sim" },
    { DLM_SENSOR_API, "api" },
    { DLM_SENSOR_MODBUS_TCP, "modbus-tcp" },
    { DLM_SENSOR_MODBUS_RTU, "modbus-rtu" },
};

const char *dlm_sensor_kind_str(dlm_sensor_kind k)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (kind_names[i].k == k)
            return kind_names[i].name;
    return "?";
}

int dlm_sensor_kind_parse(const char *s, dlm_sensor_kind *k)
{
    for (size_t i = 0; s && i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (!strcmp(kind_names[i].name, s)) {
            *k = kind_names[i].k;
            return 0;
        }
    return -EINVAL;
}

dlm_sensor_kind dlm_sensor_kind_of(const dlm_sensor *s)
{
    return s->o.kind;
}

void dlm_sensor_opts_defaults(dlm_sensor_opts *o)
{
    memset(o, 0, sizeof *o);
    o->kind = DLM_SENSOR_SIM;
    o->map = *dlm_meter_preset("sdm630");
    snprintf(o->host, sizeof o->host, "127.0.0.1");
    o->port = 502;
    snprintf(o->device, sizeof o->device, "/dev/ttyUSB0");
    o->baud = 9600;
    o->parity = 'N';
    o->data_bits = 8;
    o->stop_bits = 1;
    o->unit = 1;
    o->poll_ms = 1000;
    o->timeout_ms = 1000;
    o->backoff_min_ms = 500;
    o->backoff_max_ms = 30000;
    dlm_sim_defaults(&o->sim);
}

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(const dlm_sensor *s)
{
    return s->o.clock_ms ? s->o.clock_ms(s->o.ctx) : realtime_ms();
}

static void wake(const dlm_sensor *s)
{
    if (s->o.wake)
        s->o.wake(s->o.ctx);
}

/* ------------------------------------------------------------- mailbox */

static void post_reading(dlm_sensor *s, const dlm_reading *r)
{
    pthread_mutex_lock(&s->mu);
    s->latest = *r;
    s->has_reading = true;
    s->seq++;
    s->health.ok = true;
    s->health.consecutive_failures = 0;
    s->health.last_success_ms = r->ts_ms;
    s->health.readings++;
    pthread_mutex_unlock(&s->mu);
}

/* Returns true when the health turned bad with this failure. */
static bool post_failure(dlm_sensor *s, const char *what, const char *why)
{
    pthread_mutex_lock(&s->mu);
    bool was_ok = s->health.ok || s->health.failures == 0;
    s->health.ok = false;
    s->health.consecutive_failures++;
    s->health.failures++;
    snprintf(s->health.last_error, sizeof s->health.last_error, "%s: %s", what, why);
    pthread_mutex_unlock(&s->mu);
    return was_ok;
}

int dlm_sensor_latest(dlm_sensor *s, dlm_reading *r, dlm_sensor_health *h, uint64_t *seq)
{
    if (!s)
        return -EINVAL;
    pthread_mutex_lock(&s->mu);
    bool has = s->has_reading;
    if (r) {
        if (has)
            *r = s->latest;
        else
            dlm_reading_clear(r);
    }
    if (h)
        *h = s->health;
    if (seq)
        *seq = s->seq;
    pthread_mutex_unlock(&s->mu);
    return has ? 0 : -EAGAIN;
}

static bool nan_or_finite(double v)
{
    return isnan(v) || isfinite(v);
}

int dlm_sensor_push(dlm_sensor *s, const dlm_reading *r, char *err, size_t errlen)
{
    static const char *const ph[DLM_PHASES] = { "L1", "L2", "L3" };
    const char *bad = NULL, *which = "";
    if (!s || !r)
        bad = "missing reading";
    else if (s->o.kind != DLM_SENSOR_API) {
        if (err && errlen)
            snprintf(err, errlen, "sensor is %s, not api", dlm_sensor_kind_str(s->o.kind));
        return -EPERM;
    } else if (r->ts_ms == DLM_NO_TIME)
        bad = "timestamp missing";
    for (int p = 0; !bad && p < DLM_PHASES; p++) {
        which = ph[p];
        if (!isfinite(r->current_a[p]) || fabs(r->current_a[p]) > 1000)
            bad = "current must be a number within +-1000 A";
        else if (!nan_or_finite(r->voltage_v[p]) || r->voltage_v[p] < 0)
            bad = "voltage must be a positive number";
        else if (!nan_or_finite(r->power_w[p]))
            bad = "power must be a number";
    }
    if (!bad && !nan_or_finite(r->power_total_w)) {
        which = "total";
        bad = "power must be a number";
    }
    if (bad) {
        if (err && errlen)
            snprintf(err, errlen, "%s%s%s", which, *which ? ": " : "", bad);
        return -EINVAL;
    }
    post_reading(s, r);
    return 0;
}

/* -------------------------------------------------------------- modbus */

/* Groups the map's registers into as few reads as possible; only adjacent
 * or overlapping registers are merged, since some meters refuse reads that
 * touch unmapped addresses. */
static int plan_blocks(dlm_sensor *s, char *err, size_t errlen)
{
    const dlm_meter_map *m = &s->o.map;
    int order[DLM_METER_MAX_REGS];
    for (size_t i = 0; i < m->n; i++)
        order[i] = (int)i;
    for (size_t i = 1; i < m->n; i++) { /* insertion sort by (fc, addr) */
        int v = order[i];
        size_t j = i;
        while (j > 0 && (m->regs[order[j - 1]].fc > m->regs[v].fc ||
                         (m->regs[order[j - 1]].fc == m->regs[v].fc &&
                          m->regs[order[j - 1]].addr > m->regs[v].addr))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    s->nblocks = 0;
    for (size_t i = 0; i < m->n; i++) {
        const dlm_meter_reg *r = &m->regs[order[i]];
        int words = dlm_reg_words(r->type);
        if (!words || (r->fc != 3 && r->fc != 4)) {
            snprintf(err, errlen, "meter map %s: register %zu has a bad type or function code",
                     m->name, i);
            return -EINVAL;
        }
        uint32_t end = (uint32_t)r->addr + (uint32_t)words;
        block *b = s->nblocks ? &s->blocks[s->nblocks - 1] : NULL;
        if (b && b->fc == r->fc && r->addr <= (uint32_t)b->addr + b->count &&
            end - b->addr <= MAX_BLOCK_WORDS) {
            if (end > (uint32_t)b->addr + b->count)
                b->count = (uint16_t)(end - b->addr);
        } else {
            b = &s->blocks[s->nblocks++];
            *b = (block){ r->fc, r->addr, (uint16_t)words };
        }
        s->reg_block[order[i]] = (int)s->nblocks - 1;
    }
    return 0;
}

static void mb_close(dlm_sensor *s)
{
    if (s->mb) {
        modbus_close(s->mb);
        modbus_free(s->mb);
        s->mb = NULL;
    }
    s->connected = false;
}

static int mb_connect(dlm_sensor *s, char *why, size_t len)
{
    const dlm_sensor_opts *o = &s->o;
    mb_close(s);
    s->mb = o->kind == DLM_SENSOR_MODBUS_TCP
                ? modbus_new_tcp(o->host, o->port)
                : modbus_new_rtu(o->device, o->baud, o->parity, o->data_bits, o->stop_bits);
    if (!s->mb) {
        snprintf(why, len, "%s", modbus_strerror(errno));
        return -1;
    }
    uint32_t sec = (uint32_t)(o->timeout_ms / 1000), usec = (uint32_t)(o->timeout_ms % 1000) * 1000;
    modbus_set_response_timeout(s->mb, sec, usec);
    modbus_set_slave(s->mb, o->unit);
    if (modbus_connect(s->mb) < 0) {
        snprintf(why, len, "%s", modbus_strerror(errno));
        mb_close(s);
        return -1;
    }
    s->connected = true;
    pthread_mutex_lock(&s->mu);
    s->health.connects++;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* Reads every block and decodes the map into r. */
static int mb_poll(dlm_sensor *s, dlm_reading *r, char *why, size_t len)
{
    const dlm_meter_map *m = &s->o.map;
    for (size_t b = 0; b < s->nblocks; b++) {
        const block *bl = &s->blocks[b];
        int rc = bl->fc == 3 ? modbus_read_registers(s->mb, bl->addr, bl->count, s->words[b])
                             : modbus_read_input_registers(s->mb, bl->addr, bl->count, s->words[b]);
        if (rc != bl->count) {
            snprintf(why, len, "read fc%d at %u: %s", bl->fc, bl->addr,
                     rc < 0 ? modbus_strerror(errno) : "short reply");
            return -1;
        }
    }
    dlm_reading_clear(r);
    for (size_t i = 0; i < m->n; i++) {
        const dlm_meter_reg *g = &m->regs[i];
        const block *bl = &s->blocks[s->reg_block[i]];
        double v;
        if (dlm_meter_decode(g, &s->words[s->reg_block[i]][g->addr - bl->addr], &v) < 0) {
            snprintf(why, len, "register %u: not a number", g->addr);
            return -1;
        }
        switch (g->q) {
        case DLM_Q_CURRENT: r->current_a[g->phase] = v; break;
        case DLM_Q_VOLTAGE: r->voltage_v[g->phase] = v; break;
        case DLM_Q_POWER: r->power_w[g->phase] = v; break;
        case DLM_Q_POWER_TOTAL: r->power_total_w = v; break;
        }
    }
    for (int p = 0; p < DLM_PHASES; p++) {
        if (!isfinite(r->current_a[p])) {
            snprintf(why, len, "meter map has no L%d current", p + 1);
            return -1;
        }
        /* import positive: an unsigned meter's direction is its power's */
        if (m->sign_from_power && isfinite(r->power_w[p]) && r->power_w[p] != 0)
            r->current_a[p] = copysign(fabs(r->current_a[p]), r->power_w[p]);
    }
    return 0;
}

/* ------------------------------------------------------------- thread */

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Sleeps until the deadline or a stop request; true when asked to stop. */
static bool sleep_until(dlm_sensor *s, const struct timespec *deadline)
{
    pthread_mutex_lock(&s->mu);
    while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, deadline) != ETIMEDOUT)
        ;
    bool stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

static void *run(void *arg)
{
    dlm_sensor *s = arg;
    int backoff = s->o.backoff_min_ms;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        char why[100];
        dlm_reading r;
        bool ok;
        if (s->o.kind == DLM_SENSOR_SIM) {
            dlm_reading_clear(&r);
            r.ts_ms = now_ms(s);
            dlm_sim_load(&s->o.sim, r.ts_ms, r.current_a);
            ok = true;
        } else if (!s->connected && mb_connect(s, why, sizeof why) < 0) {
            if (post_failure(s, "connect", why))
                wake(s);
            ok = false;
        } else {
            ok = mb_poll(s, &r, why, sizeof why) == 0;
            if (ok) {
                r.ts_ms = now_ms(s);
            } else {
                /* drop the link: a half-read reply would desynchronise it */
                mb_close(s);
                if (post_failure(s, "poll", why))
                    wake(s);
            }
        }
        if (ok) {
            post_reading(s, &r);
            wake(s);
            backoff = s->o.backoff_min_ms;
            /* fixed rate: the next poll is one interval after the last start */
            next.tv_nsec += (long)(s->o.poll_ms % 1000) * 1000000L;
            next.tv_sec += s->o.poll_ms / 1000;
            if (next.tv_nsec >= 1000000000L) {
                next.tv_sec++;
                next.tv_nsec -= 1000000000L;
            }
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
                next = now; /* late: do not try to catch up */
            if (sleep_until(s, &next))
                break;
            continue;
        }
        deadline_after(&next, backoff);
        backoff = backoff * 2 > s->o.backoff_max_ms ? s->o.backoff_max_ms : backoff * 2;
        if (sleep_until(s, &next))
            break;
        clock_gettime(CLOCK_MONOTONIC, &next);
    }
    mb_close(s);
    return NULL;
}

/* ---------------------------------------------------------- lifecycle */

static int check_opts(const dlm_sensor_opts *o, char *err, size_t errlen)
{
    const char *bad = NULL;
    if (o->poll_ms < 50 || o->poll_ms > 3600000)
        bad = "poll_ms must be 50..3600000";
    else if (o->timeout_ms < 10 || o->timeout_ms > 60000)
        bad = "timeout_ms must be 10..60000";
    else if (o->backoff_min_ms < 10 || o->backoff_max_ms < o->backoff_min_ms ||
             o->backoff_max_ms > 3600000)
        bad = "backoff must be 10 <= backoff_min_ms <= backoff_max_ms <= 3600000";
    else if (o->kind == DLM_SENSOR_MODBUS_TCP || o->kind == DLM_SENSOR_MODBUS_RTU) {
        if (o->unit < 0 || o->unit > 247)
            bad = "modbus_unit must be 0..247";
        else if (o->map.n == 0 || o->map.n > DLM_METER_MAX_REGS)
            bad = "meter map is empty";
        else if (o->kind == DLM_SENSOR_MODBUS_TCP && (!o->host[0] || o->port < 1 || o->port > 65535))
            bad = "modbus_host must be set and modbus_port 1..65535";
        else if (o->kind == DLM_SENSOR_MODBUS_RTU &&
                 (!o->device[0] || o->baud < 300 || o->baud > 4000000))
            bad = "modbus_device must be set and modbus_baud 300..4000000";
        else if (o->kind == DLM_SENSOR_MODBUS_RTU && o->parity != 'N' && o->parity != 'E' &&
                 o->parity != 'O')
            bad = "modbus_parity must be N, E or O";
        else if (o->kind == DLM_SENSOR_MODBUS_RTU &&
                 (o->data_bits < 5 || o->data_bits > 8 || o->stop_bits < 1 || o->stop_bits > 2))
            bad = "data bits must be 5..8 and stop bits 1..2";
    } else if (o->kind != DLM_SENSOR_SIM && o->kind != DLM_SENSOR_API)
        bad = "unknown sensor kind";
    if (bad) {
        if (err && errlen)
            snprintf(err, errlen, "%s", bad);
        return -EINVAL;
    }
    return 0;
}

int dlm_sensor_start(dlm_sensor **out, const dlm_sensor_opts *o, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = 0;
    if (!out || !o) {
        snprintf(err, errlen, "missing argument");
        return -EINVAL;
    }
    *out = NULL;
    int rc = check_opts(o, err, errlen);
    if (rc < 0)
        return rc;
    dlm_sensor *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->o = *o;
    s->health.last_success_ms = DLM_NO_TIME;
    dlm_reading_clear(&s->latest);
    if (o->kind == DLM_SENSOR_MODBUS_TCP || o->kind == DLM_SENSOR_MODBUS_RTU) {
        rc = plan_blocks(s, err, errlen);
        if (rc < 0)
            goto out_free;
    }
    pthread_condattr_t ca;
    if ((rc = -pthread_condattr_init(&ca)) < 0)
        goto out_free;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    rc = -pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc < 0)
        goto out_free;
    if ((rc = -pthread_mutex_init(&s->mu, NULL)) < 0)
        goto out_cond;
    if (o->kind != DLM_SENSOR_API) {
        if ((rc = -pthread_create(&s->thread, NULL, run, s)) < 0) {
            snprintf(err, errlen, "cannot start sensor thread: %s", strerror(-rc));
            goto out_mutex;
        }
        s->has_thread = true;
    }
    *out = s;
    return 0;

out_mutex:
    pthread_mutex_destroy(&s->mu);
out_cond:
    pthread_cond_destroy(&s->cv);
out_free:
    if (!err[0])
        snprintf(err, errlen, "cannot start sensor: %s", strerror(-rc));
    free(s);
    return rc;
}

void dlm_sensor_stop(dlm_sensor *s)
{
    if (!s)
        return;
    if (s->has_thread) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    mb_close(s);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
