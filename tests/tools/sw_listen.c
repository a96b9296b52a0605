/*  sw-listen - test/demo helper: open TCP ports that accept and drop.

    Usage: sw-listen ADDR PORT...

    Listens on ADDR:PORT for each PORT (0 picks a free port), prints
    "ready P1 P2 ..." with the actual ports on one line, then accepts and
    immediately closes every connection until SIGTERM or SIGINT, and exits 0.
    Exits 1, naming ADDR:PORT, if any port cannot be opened. Scanner tests use
    it to have known-open ports on loopback addresses. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 1024

//  Parses a decimal port 0..65535; -1 if it is not one.
static int s_port (const char *text)
{
    if (!*text || strlen (text) > 5)
        return -1;
    long value = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        value = value * 10 + (*c - '0');
    }
    return value <= 65535 ? (int)value : -1;
}

//  Opens a listening socket on addr:port; returns the fd and sets *bound to
//  the actual port, or prints why not and returns -1.
static int s_listen (const char *host, int port, int *bound)
{
    const char *shown_fmt = strchr (host, ':') ? "[%s]:%d" : "%s:%d";
    char shown[128];
    snprintf (shown, sizeof shown, shown_fmt, host, port);

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *info = NULL;
    char service[12];
    snprintf (service, sizeof service, "%d", port);
    int rc = getaddrinfo (host, service, &hints, &info);
    if (rc != 0) {
        fprintf (stderr, "sw-listen: %s: %s\n", shown, gai_strerror (rc));
        return -1;
    }
    int fd = socket (info->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    const char *step = "socket";
    if (fd >= 0) {
        step = "setsockopt";
        if (setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0) {
            step = "bind";
            if (bind (fd, info->ai_addr, info->ai_addrlen) == 0) {
                step = "listen";
                if (listen (fd, SOMAXCONN) == 0)
                    step = NULL;
            }
        }
    }
    freeaddrinfo (info);
    if (step) {
        fprintf (stderr, "sw-listen: %s %s: %s\n", step, shown, strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    if (getsockname (fd, (struct sockaddr *)&local, &len) != 0) {
        fprintf (stderr, "sw-listen: getsockname %s: %s\n", shown, strerror (errno));
        close (fd);
        return -1;
    }
    *bound = ntohs (local.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&local)->sin6_port
                                                : ((struct sockaddr_in *)&local)->sin_port);
    return fd;
}

int main (int argc, char **argv)
{
    if (argc < 3 || argc - 2 > MAX_PORTS) {
        fprintf (stderr, "usage: sw-listen ADDR PORT... (PORT 0 picks a free port, at most %d)\n",
                 MAX_PORTS);
        return 1;
    }
    //  Accept "[::1]" as well as "::1"
    char host[INET6_ADDRSTRLEN + 8];
    const char *addr = argv[1];
    size_t addr_len = strlen (addr);
    if (addr_len >= 2 && addr[0] == '[' && addr[addr_len - 1] == ']')
        snprintf (host, sizeof host, "%.*s", (int)(addr_len - 2), addr + 1);
    else
        snprintf (host, sizeof host, "%s", addr);

    //  Signals arrive through a signalfd, so blocking them must come first
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGINT);
    sigprocmask (SIG_BLOCK, &signals, NULL);
    int sig_fd = signalfd (-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    int epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    if (sig_fd < 0 || epoll_fd < 0) {
        fprintf (stderr, "sw-listen: %s\n", strerror (errno));
        return 1;
    }
    struct epoll_event event = {.events = EPOLLIN, .data.fd = sig_fd};
    epoll_ctl (epoll_fd, EPOLL_CTL_ADD, sig_fd, &event);

    int nports = argc - 2;
    int fds[MAX_PORTS];
    int bound[MAX_PORTS];
    for (int i = 0; i < nports; i++) {
        int port = s_port (argv[i + 2]);
        if (port < 0) {
            fprintf (stderr, "sw-listen: %s:%s: not a port number\n", addr, argv[i + 2]);
            return 1;
        }
        fds[i] = s_listen (host, port, &bound[i]);
        if (fds[i] < 0)
            return 1;
        event.data.fd = fds[i];
        if (epoll_ctl (epoll_fd, EPOLL_CTL_ADD, fds[i], &event) != 0) {
            fprintf (stderr, "sw-listen: epoll: %s\n", strerror (errno));
            return 1;
        }
    }
    printf ("ready");
    for (int i = 0; i < nports; i++)
        printf (" %d", bound[i]);
    printf ("\n");
    if (fflush (stdout) != 0 || ferror (stdout))
        return 1;

    for (;;) {
        struct epoll_event events[64];
        int n = epoll_wait (epoll_fd, events, 64, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf (stderr, "sw-listen: epoll_wait: %s\n", strerror (errno));
            return 1;
        }
        for (int e = 0; e < n; e++) {
            int fd = events[e].data.fd;
            if (fd == sig_fd) {
                for (int i = 0; i < nports; i++)
                    close (fds[i]);
                return 0;
            }
            for (;;) {
                int conn = accept4 (fd, NULL, NULL, SOCK_CLOEXEC);
                if (conn >= 0) {
                    close (conn);
                    continue;
                }
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    //  Level-triggered: without a pause this would spin
                    struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
                    nanosleep (&pause, NULL);
                }
                break; //  EAGAIN, or an aborted connection
            }
        }
    }
}
