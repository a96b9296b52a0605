/*  Unit tests for sw_tcpscan, against real sockets on 127.0.0.1. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sw_tcpscan.h"

#define LOOPBACK 0x7f000001u

static uint16_t s_port_of (int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    cr_assert_eq (getsockname (fd, (struct sockaddr *)&sa, &len), 0);
    return ntohs (sa.sin_port);
}

static int s_bound_socket (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    cr_assert_geq (fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (LOOPBACK)};
    cr_assert_eq (bind (fd, (struct sockaddr *)&sa, sizeof sa), 0, "bind: %s", strerror (errno));
    return fd;
}

//  A listener on an ephemeral loopback port; returns the fd, port in *port.
static int s_listener (uint16_t *port, int backlog)
{
    int fd = s_bound_socket ();
    cr_assert_eq (listen (fd, backlog), 0);
    *port = s_port_of (fd);
    return fd;
}

//  A port that was free a moment ago and has no listener (racy, but a
//  collision needs another process to grab it within microseconds).
static uint16_t s_closed_port (void)
{
    int fd = s_bound_socket ();
    uint16_t port = s_port_of (fd);
    close (fd);
    return port;
}

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int s_connect_nb (uint16_t port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    cr_assert_geq (fd, 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_addr.s_addr = htonl (LOOPBACK), .sin_port = htons (port)};
    int rc = connect (fd, (struct sockaddr *)&sa, sizeof sa);
    cr_assert (rc == 0 || errno == EINPROGRESS, "connect: %s", strerror (errno));
    return fd;
}

//  Makes a loopback port that silently drops SYNs: a listener whose accept
//  queue is full (Linux drops SYNs then rather than refusing them). Fills
//  the queue with client connections until one stays unanswered. Returns
//  the port, or 0 if this kernel answers anyway; fds go into keep[].
#define MAX_FILLERS 8
typedef struct {
    int fds[MAX_FILLERS + 1];
    int n;
} blackhole_t;

static uint16_t s_blackhole (blackhole_t *hole)
{
    uint16_t port;
    hole->n = 0;
    hole->fds[hole->n++] = s_listener (&port, 0);
    for (int i = 0; i < MAX_FILLERS; i++) {
        int fd = s_connect_nb (port);
        hole->fds[hole->n++] = fd;
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (poll (&pfd, 1, 200) == 0)
            return port;
    }
    return 0;
}

static void s_blackhole_close (blackhole_t *hole)
{
    for (int i = 0; i < hole->n; i++)
        close (hole->fds[i]);
}

static sw_portlist_t *s_ports (const uint16_t *ports, size_t n)
{
    char spec[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf (spec + used, sizeof spec - used, "%s%u", i ? "," : "", ports[i]);
    char err[256];
    sw_portlist_t *list = sw_portlist_parse (spec, err, sizeof err);
    cr_assert_not_null (list, "%s", err);
    return list;
}

typedef struct {
    uint16_t ports[64];
    int n;
    uint32_t addr;
    int abort_after; //  return nonzero on this call (1-based), 0 = never
} seen_t;

static int s_on_open (void *arg, uint32_t addr, uint16_t port)
{
    seen_t *seen = arg;
    seen->addr = addr;
    if (seen->n < 64)
        seen->ports[seen->n] = port;
    seen->n++;
    return seen->abort_after && seen->n >= seen->abort_after;
}

static int s_seen (const seen_t *seen, uint16_t port)
{
    for (int i = 0; i < seen->n && i < 64; i++)
        if (seen->ports[i] == port)
            return 1;
    return 0;
}

static void s_classifies_exactly (int max_inflight)
{
    uint16_t open_ports[3], closed_ports[3], all[6];
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = s_listener (&open_ports[i], 16);
    for (int i = 0; i < 3; i++)
        closed_ports[i] = s_closed_port ();
    for (int i = 0; i < 3; i++) {
        all[2 * i] = open_ports[i];
        all[2 * i + 1] = closed_ports[i];
    }
    sw_portlist_t *ports = s_ports (all, 6);
    sw_tcpscan_opts_t opts = {.max_inflight = max_inflight, .timeout_ms = 2000};
    seen_t seen = {.n = 0};
    sw_tcpscan_stats_t stats;
    char err[256] = "";
    int rc =
        sw_tcpscan_run (LOOPBACK, ports, &opts, NULL, s_on_open, &seen, &stats, err, sizeof err);
    cr_assert_eq (rc, 0, "%s", err);
    cr_assert_eq (stats.open, 3);
    cr_assert_eq (stats.closed, 3);
    cr_assert_eq (stats.filtered, 0);
    cr_assert_eq (seen.n, 3, "callback once per open port");
    cr_assert_eq (seen.addr, LOOPBACK);
    for (int i = 0; i < 3; i++) {
        cr_assert (s_seen (&seen, open_ports[i]), "port %u not reported open", open_ports[i]);
        cr_assert (!s_seen (&seen, closed_ports[i]), "closed port %u reported open",
                   closed_ports[i]);
    }
    sw_portlist_destroy (&ports);
    for (int i = 0; i < 3; i++)
        close (fds[i]);
}

Test (tcpscan, classifies_open_and_closed_ports_exactly)
{
    s_classifies_exactly (0);
}

Test (tcpscan, window_of_one_still_classifies_every_port)
{
    s_classifies_exactly (1);
}

Test (tcpscan, open_ports_are_reset_not_left_in_time_wait)
{
    uint16_t port;
    int fd = s_listener (&port, 16);
    sw_portlist_t *ports = s_ports (&port, 1);
    sw_tcpscan_stats_t stats;
    char err[256];
    cr_assert_eq (sw_tcpscan_run (LOOPBACK, ports, NULL, NULL, NULL, NULL, &stats, err, sizeof err),
                  0, "%s", err);
    cr_assert_eq (stats.open, 1);
    //  The scanner's connection sits in our accept queue; an RST close
    //  means reading it gives ECONNRESET rather than a clean EOF.
    int conn = accept (fd, NULL, NULL);
    cr_assert_geq (conn, 0);
    char byte;
    ssize_t n = recv (conn, &byte, 1, 0);
    cr_assert (n < 0 && errno == ECONNRESET, "expected RST, got n=%zd errno=%d", n, errno);
    close (conn);
    close (fd);
    sw_portlist_destroy (&ports);
}

Test (tcpscan, large_range_classifies_every_port_with_small_window)
{
    uint16_t port;
    int fd = s_listener (&port, 16);
    uint16_t lo = port > 1000 ? (uint16_t)(port - 1000) : 1;
    char spec[32];
    snprintf (spec, sizeof spec, "%u-%u", lo, lo + 1999);
    char err[256];
    sw_portlist_t *ports = sw_portlist_parse (spec, err, sizeof err);
    cr_assert_not_null (ports);
    sw_tcpscan_opts_t opts = {.max_inflight = 64, .timeout_ms = 2000};
    seen_t seen = {.n = 0};
    sw_tcpscan_stats_t stats;
    cr_assert_eq (
        sw_tcpscan_run (LOOPBACK, ports, &opts, NULL, s_on_open, &seen, &stats, err, sizeof err), 0,
        "%s", err);
    cr_assert_eq (stats.open + stats.closed + stats.filtered, 2000);
    cr_assert_eq (stats.filtered, 0, "loopback answers every SYN");
    cr_assert (s_seen (&seen, port) || seen.n > 64);
    sw_portlist_destroy (&ports);
    close (fd);
}

//  Caps this test process so that exactly `spare` descriptor numbers are
//  free below the limit. The runner may have left descriptors open above
//  the lowest free one (CI does), so count the free numbers rather than
//  assume they are contiguous. Each Criterion test runs in its own
//  process, so this does not leak.
static void s_limit_fds (int spare)
{
    struct rlimit rl;
    cr_assert_eq (getrlimit (RLIMIT_NOFILE, &rl), 0);
    int fd = 0, free_found = 0;
    for (; free_found < spare; fd++) {
        cr_assert_lt ((rlim_t)fd, rl.rlim_cur, "fewer than %d descriptors free", spare);
        if (fcntl (fd, F_GETFD) == -1 && errno == EBADF)
            free_found++;
    }
    rl.rlim_cur = (rlim_t)fd;
    cr_assert_eq (setrlimit (RLIMIT_NOFILE, &rl), 0);
}

Test (tcpscan, descriptor_shortage_is_waited_out_not_misreported)
{
    uint16_t list[10];
    int fd = s_listener (&list[0], 16);
    for (int i = 1; i < 10; i++)
        list[i] = s_closed_port ();
    sw_portlist_t *ports = s_ports (list, 10);
    //  One descriptor for epoll, two for sockets, against a window of 64
    s_limit_fds (3);
    sw_tcpscan_opts_t opts = {.max_inflight = 64, .timeout_ms = 2000};
    seen_t seen = {.n = 0};
    sw_tcpscan_stats_t stats;
    char err[256] = "";
    cr_assert_eq (
        sw_tcpscan_run (LOOPBACK, ports, &opts, NULL, s_on_open, &seen, &stats, err, sizeof err), 0,
        "%s", err);
    cr_assert_eq (stats.open, 1);
    cr_assert_eq (stats.closed, 9);
    cr_assert_eq (stats.filtered, 0);
    cr_assert (s_seen (&seen, list[0]));
    sw_portlist_destroy (&ports);
    close (fd);
}

Test (tcpscan, persistent_descriptor_shortage_gives_up_with_a_message)
{
    uint16_t port = s_closed_port ();
    sw_portlist_t *ports = s_ports (&port, 1);
    s_limit_fds (1); //  room for epoll, none for a socket
    sw_tcpscan_stats_t stats;
    char err[256] = "";
    int64_t start = s_now_ms ();
    cr_assert_eq (sw_tcpscan_run (LOOPBACK, ports, NULL, NULL, NULL, NULL, &stats, err, sizeof err),
                  -1);
    int64_t elapsed = s_now_ms () - start;
    cr_assert_str_eq (err, "tcpscan: out of sockets or local ports, gave up after 50 retries");
    cr_assert_eq (stats.closed + stats.open + stats.filtered, 0);
    cr_assert_lt (elapsed, 3000, "%lld ms", (long long)elapsed);
    sw_portlist_destroy (&ports);
}

Test (tcpscan, unanswered_port_is_filtered_after_timeout)
{
    blackhole_t hole;
    uint16_t port = s_blackhole (&hole);
    if (!port) {
        s_blackhole_close (&hole);
        cr_skip_test ("kernel does not drop SYNs to a full accept queue");
    }
    uint16_t open_port;
    int fd = s_listener (&open_port, 16);
    uint16_t list[] = {port, open_port};
    sw_portlist_t *ports = s_ports (list, 2);
    sw_tcpscan_opts_t opts = {.max_inflight = 4, .timeout_ms = 300};
    sw_tcpscan_stats_t stats;
    char err[256];
    int64_t start = s_now_ms ();
    cr_assert_eq (
        sw_tcpscan_run (LOOPBACK, ports, &opts, NULL, NULL, NULL, &stats, err, sizeof err), 0, "%s",
        err);
    int64_t elapsed = s_now_ms () - start;
    cr_assert_eq (stats.filtered, 1);
    cr_assert_eq (stats.open, 1);
    cr_assert_geq (elapsed, 290, "gave up after %lld ms, before the timeout", (long long)elapsed);
    cr_assert_lt (elapsed, 2000, "took %lld ms for a 300 ms timeout", (long long)elapsed);
    sw_portlist_destroy (&ports);
    close (fd);
    s_blackhole_close (&hole);
}

Test (tcpscan, timeouts_in_one_window_run_concurrently)
{
    blackhole_t holes[4];
    uint16_t list[4];
    for (int i = 0; i < 4; i++) {
        list[i] = s_blackhole (&holes[i]);
        if (!list[i])
            cr_skip_test ("kernel does not drop SYNs to a full accept queue");
    }
    sw_portlist_t *ports = s_ports (list, 4);
    sw_tcpscan_opts_t opts = {.max_inflight = 2, .timeout_ms = 1000};
    sw_tcpscan_stats_t stats;
    char err[256];
    int64_t start = s_now_ms ();
    cr_assert_eq (
        sw_tcpscan_run (LOOPBACK, ports, &opts, NULL, NULL, NULL, &stats, err, sizeof err), 0, "%s",
        err);
    int64_t elapsed = s_now_ms () - start;
    cr_assert_eq (stats.filtered, 4);
    //  Two windows of two: about 2000 ms; serial connects would take 4000
    //  (the margin is wide for loaded and sanitized runs).
    cr_assert_geq (elapsed, 1990, "%lld ms", (long long)elapsed);
    cr_assert_lt (elapsed, 3500, "%lld ms: timeouts did not overlap", (long long)elapsed);
    sw_portlist_destroy (&ports);
    for (int i = 0; i < 4; i++)
        s_blackhole_close (&holes[i]);
}

static volatile int s_cancel;

static void *s_cancel_later (void *arg)
{
    (void)arg;
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep (&ts, NULL);
    s_cancel = 1;
    return NULL;
}

Test (tcpscan, cancel_during_long_timeout_returns_promptly)
{
    blackhole_t hole;
    uint16_t port = s_blackhole (&hole);
    if (!port) {
        s_blackhole_close (&hole);
        cr_skip_test ("kernel does not drop SYNs to a full accept queue");
    }
    sw_portlist_t *ports = s_ports (&port, 1);
    sw_tcpscan_opts_t opts = {.timeout_ms = 10000};
    sw_tcpscan_stats_t stats;
    char err[256] = "";
    s_cancel = 0;
    pthread_t thread;
    cr_assert_eq (pthread_create (&thread, NULL, s_cancel_later, NULL), 0);
    int64_t start = s_now_ms ();
    int rc =
        sw_tcpscan_run (LOOPBACK, ports, &opts, &s_cancel, NULL, NULL, &stats, err, sizeof err);
    int64_t elapsed = s_now_ms () - start;
    pthread_join (thread, NULL);
    cr_assert_eq (rc, -1);
    cr_assert_str_eq (err, "tcpscan: cancelled");
    cr_assert_lt (elapsed, 3000, "cancel took %lld ms of a 10 s timeout", (long long)elapsed);
    cr_assert_eq (stats.filtered, 0, "a cancelled port is not classified");
    sw_portlist_destroy (&ports);
    s_blackhole_close (&hole);
}

Test (tcpscan, cancel_set_before_start_scans_nothing)
{
    uint16_t port;
    int fd = s_listener (&port, 16);
    sw_portlist_t *ports = s_ports (&port, 1);
    volatile int cancel = 1;
    seen_t seen = {.n = 0};
    sw_tcpscan_stats_t stats;
    char err[256];
    cr_assert_eq (
        sw_tcpscan_run (LOOPBACK, ports, NULL, &cancel, s_on_open, &seen, &stats, err, sizeof err),
        -1);
    cr_assert_str_eq (err, "tcpscan: cancelled");
    cr_assert_eq (seen.n, 0);
    sw_portlist_destroy (&ports);
    close (fd);
}

Test (tcpscan, callback_nonzero_aborts_the_scan)
{
    uint16_t list[3];
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = s_listener (&list[i], 16);
    sw_portlist_t *ports = s_ports (list, 3);
    sw_tcpscan_opts_t opts = {.max_inflight = 1};
    seen_t seen = {.n = 0, .abort_after = 1};
    sw_tcpscan_stats_t stats;
    char err[256];
    cr_assert_eq (
        sw_tcpscan_run (LOOPBACK, ports, &opts, NULL, s_on_open, &seen, &stats, err, sizeof err),
        -1);
    cr_assert_str_eq (err, "tcpscan: aborted by callback");
    cr_assert_eq (seen.n, 1, "no callbacks after an abort");
    sw_portlist_destroy (&ports);
    for (int i = 0; i < 3; i++)
        close (fds[i]);
}

Test (tcpscan, detects_a_socket_connected_to_itself)
{
    //  Simultaneous open: connecting a bound socket to its own address
    int fd = s_bound_socket ();
    uint16_t port = s_port_of (fd);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_addr.s_addr = htonl (LOOPBACK), .sin_port = htons (port)};
    cr_assert_eq (connect (fd, (struct sockaddr *)&sa, sizeof sa), 0, "self connect: %s",
                  strerror (errno));
    cr_assert_eq (sw_tcpscan_is_self_connect (fd), 1);
    close (fd);

    uint16_t lport;
    int listener = s_listener (&lport, 16);
    int client = s_connect_nb (lport);
    struct pollfd pfd = {.fd = client, .events = POLLOUT};
    cr_assert_eq (poll (&pfd, 1, 1000), 1);
    cr_assert_eq (sw_tcpscan_is_self_connect (client), 0);
    close (client);
    close (listener);
    cr_assert_eq (sw_tcpscan_is_self_connect (-1), -1);
}

Test (tcpscan, rejects_non_unicast_targets_and_missing_ports)
{
    uint16_t port = 80;
    sw_portlist_t *ports = s_ports (&port, 1);
    char err[256];
    sw_tcpscan_stats_t stats;
    cr_assert_eq (sw_tcpscan_run (0, ports, NULL, NULL, NULL, NULL, &stats, err, sizeof err), -1);
    cr_assert_str_eq (err, "tcpscan: 0.0.0.0 is not a unicast address");
    cr_assert_eq (
        sw_tcpscan_run (0xe0000001u, ports, NULL, NULL, NULL, NULL, &stats, err, sizeof err), -1);
    cr_assert_str_eq (err, "tcpscan: 224.0.0.1 is not a unicast address");
    cr_assert_eq (
        sw_tcpscan_run (0xffffffffu, ports, NULL, NULL, NULL, NULL, &stats, err, sizeof err), -1);
    cr_assert_eq (sw_tcpscan_run (LOOPBACK, NULL, NULL, NULL, NULL, NULL, &stats, err, sizeof err),
                  -1);
    cr_assert_str_eq (err, "tcpscan: empty port list");
    sw_portlist_destroy (&ports);
}

Test (tcpscan, state_names)
{
    cr_assert_str_eq (sw_port_state_name (SW_PORT_OPEN), "open");
    cr_assert_str_eq (sw_port_state_name (SW_PORT_CLOSED), "closed");
    cr_assert_str_eq (sw_port_state_name (SW_PORT_FILTERED), "filtered");
    cr_assert_str_eq (sw_port_state_name ((sw_port_state_t)42), "?");
}

//  The process's rate limit paces connections: 300 ports at 1,000 a
//  second take at least a quarter of a second (a burst of 50 aside), and
//  every port is still classified.
Test (tcpscan, the_rate_limit_paces_connections)
{
    uint16_t port;
    int fd = s_listener (&port, 16);
    uint16_t lo = port > 150 ? (uint16_t)(port - 150) : 1;
    char spec[32];
    snprintf (spec, sizeof spec, "%u-%u", lo, lo + 299);
    char err[256];
    sw_portlist_t *ports = sw_portlist_parse (spec, err, sizeof err);
    cr_assert_not_null (ports, "%s", err);
    sw_tcpscan_set_rate (1000);
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    sw_tcpscan_stats_t stats;
    int rc = sw_tcpscan_run (LOOPBACK, ports, NULL, NULL, NULL, NULL, &stats, err, sizeof err);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    sw_tcpscan_set_rate (0);
    cr_assert_eq (rc, 0, "%s", err);
    cr_assert_eq (stats.open + stats.closed + stats.filtered, 300);
    cr_assert_geq (stats.open, 1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1000 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert_geq (ms, 240, "300 connections at 1,000/s took %.0f ms", ms);
    cr_assert_leq (ms, 3000, "%.0f ms", ms);
    sw_portlist_destroy (&ports);
    close (fd);
}
