/*  Unit tests for sw_portpolicy: the table's shape and the ratings the
    project has agreed on. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw_portpolicy.h"

static const char *s_categories[] = {"remote-admin",  "database",     "cache",     "search",
                                     "control-plane", "file-sharing", "mail",      "web",
                                     "message-queue", "directory",    "monitoring"};

static const char *s_sev_names[] = {"info", "low", "medium", "high", "critical"};

Test (portpolicy, table_is_strictly_ascending_so_lookup_can_bisect)
{
    size_t n = 0;
    const sw_port_policy_t *table = sw_port_policy_table (&n);
    cr_assert_not_null (table);
    cr_assert_gt (n, 50);
    for (size_t i = 1; i < n; i++)
        cr_assert_lt (table[i - 1].port, table[i].port, "entry %zu (port %u) out of order", i,
                      table[i].port);
}

Test (portpolicy, every_entry_is_complete_and_uses_a_known_category)
{
    size_t n = 0;
    const sw_port_policy_t *table = sw_port_policy_table (&n);
    for (size_t i = 0; i < n; i++) {
        const sw_port_policy_t *p = &table[i];
        cr_assert_neq (p->port, 0);
        cr_assert (p->service && *p->service, "port %u: no service", p->port);
        cr_assert (p->why && strlen (p->why) > 10, "port %u: no reason", p->port);
        cr_assert_lt ((int)p->severity, (int)SW_SEV_COUNT, "port %u", p->port);
        int known = 0;
        for (size_t c = 0; c < sizeof s_categories / sizeof s_categories[0]; c++)
            known |= p->category && strcmp (p->category, s_categories[c]) == 0;
        cr_assert (known, "port %u: unknown category '%s'", p->port, p->category);
    }
}

Test (portpolicy, lookup_finds_every_table_entry)
{
    size_t n = 0;
    const sw_port_policy_t *table = sw_port_policy_table (&n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq (sw_port_policy_lookup (table[i].port), &table[i], "port %u", table[i].port);
}

Test (portpolicy, unknown_ports_get_the_low_default)
{
    const uint16_t ports[] = {0, 1, 7, 12345, 65535, 20, 24, 5904};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        const sw_port_policy_t *p = sw_port_policy_lookup (ports[i]);
        cr_assert_not_null (p);
        cr_assert_eq (p->port, 0, "port %u", ports[i]);
        cr_assert_str_eq (p->service, "unknown");
        cr_assert_str_eq (p->category, "other");
        cr_assert_eq (p->severity, SW_SEV_LOW);
        cr_assert_not_null (p->why);
    }
}

typedef struct {
    uint16_t port;
    const char *service;
    const char *category;
    sw_severity_t severity;
} expect_t;

//  The ratings agreed in the design brief; a change here is a policy change
static const expect_t s_agreed[] = {
    {22, "ssh", "remote-admin", SW_SEV_MEDIUM},
    {23, "telnet", "remote-admin", SW_SEV_HIGH},
    {3389, "rdp", "remote-admin", SW_SEV_HIGH},
    {5900, "vnc", "remote-admin", SW_SEV_HIGH},
    {5901, "vnc", "remote-admin", SW_SEV_HIGH},
    {5902, "vnc", "remote-admin", SW_SEV_HIGH},
    {5903, "vnc", "remote-admin", SW_SEV_HIGH},
    {5985, "winrm", "remote-admin", SW_SEV_HIGH},
    {5986, "winrm", "remote-admin", SW_SEV_HIGH},
    {5432, "postgresql", "database", SW_SEV_HIGH},
    {3306, "mysql", "database", SW_SEV_HIGH},
    {1433, "mssql", "database", SW_SEV_HIGH},
    {1521, "oracle", "database", SW_SEV_HIGH},
    {27017, "mongodb", "database", SW_SEV_HIGH},
    {9042, "cassandra", "database", SW_SEV_HIGH},
    {5984, "couchdb", "database", SW_SEV_HIGH},
    {8086, "influxdb", "database", SW_SEV_HIGH},
    {6379, "redis", "cache", SW_SEV_HIGH},
    {11211, "memcached", "cache", SW_SEV_HIGH},
    {9200, "elasticsearch", "search", SW_SEV_HIGH},
    {9300, "elasticsearch", "search", SW_SEV_HIGH},
    {2375, "docker", "control-plane", SW_SEV_CRITICAL},
    {2376, "docker-tls", "control-plane", SW_SEV_MEDIUM},
    {2379, "etcd", "control-plane", SW_SEV_HIGH},
    {2380, "etcd", "control-plane", SW_SEV_HIGH},
    {6443, "kubernetes-api", "control-plane", SW_SEV_MEDIUM},
    {10250, "kubelet", "control-plane", SW_SEV_HIGH},
    {10255, "kubelet-ro", "control-plane", SW_SEV_MEDIUM},
    {21, "ftp", "file-sharing", SW_SEV_MEDIUM},
    {445, "smb", "file-sharing", SW_SEV_HIGH},
    {139, "netbios-ssn", "file-sharing", SW_SEV_HIGH},
    {2049, "nfs", "file-sharing", SW_SEV_HIGH},
    {111, "rpcbind", "file-sharing", SW_SEV_MEDIUM},
    {25, "smtp", "mail", SW_SEV_LOW},
    {110, "pop3", "mail", SW_SEV_LOW},
    {143, "imap", "mail", SW_SEV_LOW},
    {80, "http", "web", SW_SEV_INFO},
    {443, "https", "web", SW_SEV_INFO},
    {8080, "http-alt", "web", SW_SEV_LOW},
    {8443, "http-alt", "web", SW_SEV_LOW},
    {8000, "http-alt", "web", SW_SEV_LOW},
    {8888, "http-alt", "web", SW_SEV_LOW},
    {5672, "amqp", "message-queue", SW_SEV_MEDIUM},
    {9092, "kafka", "message-queue", SW_SEV_MEDIUM},
    {4222, "nats", "message-queue", SW_SEV_MEDIUM},
    {1883, "mqtt", "message-queue", SW_SEV_MEDIUM},
};

Test (portpolicy, agreed_ratings_hold)
{
    for (size_t i = 0; i < sizeof s_agreed / sizeof s_agreed[0]; i++) {
        const expect_t *e = &s_agreed[i];
        const sw_port_policy_t *p = sw_port_policy_lookup (e->port);
        cr_assert_eq (p->port, e->port, "port %u missing from the table", e->port);
        cr_assert_str_eq (p->service, e->service, "port %u", e->port);
        cr_assert_str_eq (p->category, e->category, "port %u", e->port);
        cr_assert_eq (p->severity, e->severity, "port %u", e->port);
    }
}

Test (portpolicy, only_the_unauthenticated_docker_api_is_critical)
{
    size_t n = 0;
    const sw_port_policy_t *table = sw_port_policy_table (&n);
    for (size_t i = 0; i < n; i++)
        if (table[i].severity == SW_SEV_CRITICAL)
            cr_assert_eq (table[i].port, 2375, "port %u is critical", table[i].port);
}

Test (portpolicy, table_may_be_read_without_a_count)
{
    cr_assert_eq (sw_port_policy_table (NULL), sw_port_policy_table (NULL));
}

//  docs/port-policy.md is what operators read; it must list every row as
//  the code has it. Found relative to this source file.
Test (portpolicy, documentation_lists_every_entry)
{
    char path[4096];
    const char *self = __FILE__;
    const char *tail = strstr (self, "tests/unit/test_portpolicy.c");
    cr_assert_not_null (tail);
    snprintf (path, sizeof path, "%.*sdocs/port-policy.md", (int)(tail - self), self);
    FILE *file = fopen (path, "r");
    if (!file)
        cr_skip_test ("%s not found from the working directory", path);
    static char doc[1 << 17];
    size_t len = fread (doc, 1, sizeof doc - 1, file);
    fclose (file);
    doc[len] = '\0';
    size_t n = 0;
    const sw_port_policy_t *table = sw_port_policy_table (&n);
    for (size_t i = 0; i < n; i++) {
        char row[512];
        snprintf (row, sizeof row, "| %u | %s | %s | %s | %s |", table[i].port, table[i].service,
                  table[i].category, s_sev_names[table[i].severity], table[i].why);
        cr_assert (strstr (doc, row), "docs/port-policy.md lacks the row: %s", row);
    }
}
